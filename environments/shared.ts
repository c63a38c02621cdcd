/** Building blocks the experiment environments share: the paper's testbed (§5.2) and the project's defaults. */
import type { EnvironmentInput } from './schema';

type Layer = EnvironmentInput['layers'][number];

/** The paper's cloud: Google Cloud, europe-west1 (Belgium), 3 nodes with 6 vCPU and 12 GB in all. */
export const PAPER_CLOUD: NonNullable<EnvironmentInput['cloud']> = {
  project: 'continuum-ddnn',
  region: 'europe-west1',
  zone: 'europe-west1-b',
};

/** 2 vCPU / 4 GB per node: three of them are the paper's 6 vCPU / 12 GB. */
export const PAPER_CLOUD_MACHINE = 'e2-custom-2-4096';

/** The paper's edge: three heterogeneous computers at the University of Malaga, one Kubernetes cluster (k3s here). */
export const PAPER_EDGE_NODES: Extract<Layer['cluster'], { kind: 'on-prem' }>['nodes'] = [
  { name: 'edge-1', address: '192.0.2.11', role: 'server' },
  { name: 'edge-2', address: '192.0.2.12', role: 'agent' },
  { name: 'edge-3', address: '192.0.2.13', role: 'agent' },
];
/** Documentation range (RFC 5737): operators replace it with their site's public egress range. */
export const PAPER_EDGE_EGRESS = ['192.0.2.0/24'];

/** The worker image built from runtime/Dockerfile (see README: Infrastructure as code). */
export const WORKER_IMAGE = {
  repository: 'europe-west1-docker.pkg.dev/continuum-ddnn/ddnn/worker',
  tag: '0.1.0',
};

/** The partitioned compact BranchyNet from models/, uploaded to the model bucket by version. */
export const PAPER_MODEL = {
  name: 'branchynet-vgg16',
  location: 'https://storage.googleapis.com/continuum-ddnn-models/branchynet-vgg16/edge-cloud',
};

/** The paper's early-exit threshold on the edge branch's top softmax probability. */
export const PAPER_THRESHOLD = 0.8;

/**
 * CPU cores per layer in local runs, standing in for the paper's separate machines on one 2-core host. The paper's
 * edge was 3 desktop PCs (i7-4790, i5-7400, i7-10700: 16 cores) and its cloud 3 GKE nodes with 6 vCPUs, so the edge
 * gets twice the cloud here (1.2 : 0.6; the paper's ratio was ≥ 2.7 : 1 in vCPUs), the devices 0.2. The cloud-only
 * baseline runs in the same cloud budget. The first example (edge 0.8, cloud 1) is measured in the README.
 * Override with `npm start -- --cpu edge=…,cloud=…,devices=…` or `--no-cpu-budgets`.
 */
export const LOCAL_CPU = { edge: 1.2, cloud: 0.6, devices: 0.2 } as const;

export const cloudExternal = (env: string) => ({
  type: 'LoadBalancer' as const,
  hostPattern: `kafka-{ordinal}.cloud.${env}.ddnn.example.net`,
});

/** DNS name for the GKE control plane endpoint (a CNAME/A record to the Terraform output `cluster_endpoint`). */
export const cloudApiEndpoint = (env: string) => `https://api.cloud.${env}.ddnn.example.net`;

export const edgeExternal = (host: string) => ({ type: 'NodePort' as const, host });
