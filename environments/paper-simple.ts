/**
 * The paper's simple deployment (§5.2, Fig. 7): one computer at the edge, one GKE node in the cloud, one broker per
 * layer, topics with 1 partition and no replication, one worker per layer. Like the authors' code, the edge worker
 * produces straight to the cloud brokers (transport: direct) and Kafka is coordinated by ZooKeeper.
 */
import type { EnvironmentInput } from './schema';
import { PAPER_CLOUD, PAPER_CLOUD_MACHINE, PAPER_EDGE_EGRESS, PAPER_EDGE_NODES, PAPER_MODEL, PAPER_THRESHOLD, WORKER_IMAGE, cloudApiEndpoint, cloudExternal, edgeExternal } from './shared';

const single = { partitions: 1, replicationFactor: 1, minInSyncReplicas: 1 };

export const paperSimple: EnvironmentInput = {
  name: 'paper-simple',
  description: 'Paper §5.2 simple deployment: 1 broker and 1 partition per layer, edge + cloud, direct link',
  coordination: 'zookeeper',
  transport: 'direct',
  threshold: PAPER_THRESHOLD,
  model: PAPER_MODEL,
  workerImage: WORKER_IMAGE,
  cloud: PAPER_CLOUD,
  layers: [
    {
      name: 'edge',
      cluster: { kind: 'on-prem', nodes: [PAPER_EDGE_NODES[0]], egressCidrs: PAPER_EDGE_EGRESS },
      kafka: { brokers: 1, quorum: 1, resources: { cpu: '500m', memory: '1Gi' }, external: edgeExternal(PAPER_EDGE_NODES[0].address) },
      topics: single,
      worker: { subModel: 'edge', replicas: 1, resources: { cpu: '1', memory: '1Gi' } },
    },
    {
      name: 'cloud',
      cluster: { kind: 'gke', nodes: 1, machineType: PAPER_CLOUD_MACHINE, apiEndpoint: cloudApiEndpoint('paper-simple') },
      kafka: { brokers: 1, quorum: 1, resources: { cpu: '250m', memory: '768Mi' }, external: cloudExternal('paper-simple') },
      topics: single,
      // One 2 vCPU / 4 GB node offers ~2.9 GiB to pods (checked at synth): broker + ZooKeeper + worker fit.
      worker: { subModel: 'cloud', replicas: 1, resources: { cpu: '1', memory: '1280Mi' } },
    },
  ],
  federation: { engine: 'kubefed', hostLayer: 'cloud' },
  devices: { count: 1 },
};
