/**
 * The baseline the paper compares against: the whole model in the cloud, devices sending to the cloud's Kafka.
 * Same cloud as paper-simple (1 broker, 1 partition) so response times compare like for like.
 */
import type { EnvironmentInput } from './schema';
import { PAPER_CLOUD, PAPER_CLOUD_MACHINE, PAPER_EDGE_EGRESS, PAPER_MODEL, WORKER_IMAGE, cloudExternal } from './shared';

export const cloudOnly: EnvironmentInput = {
  name: 'cloud-only',
  description: 'Cloud-only baseline: the full model on GKE, devices produce to the cloud brokers',
  coordination: 'zookeeper',
  transport: 'direct',
  // The only layer always answers: the threshold is never consulted.
  threshold: 1,
  model: { ...PAPER_MODEL, location: PAPER_MODEL.location.replace(/edge-cloud$/, 'cloud-only') },
  workerImage: WORKER_IMAGE,
  // The devices stream from the same site as the paper's edge computers.
  cloud: { ...PAPER_CLOUD, clientCidrs: PAPER_EDGE_EGRESS },
  layers: [
    {
      name: 'cloud',
      cluster: { kind: 'gke', nodes: 1, machineType: PAPER_CLOUD_MACHINE },
      kafka: { brokers: 1, quorum: 1, resources: { cpu: '250m', memory: '768Mi' }, external: cloudExternal('cloud-only') },
      topics: { partitions: 1, replicationFactor: 1, minInSyncReplicas: 1 },
      // One 2 vCPU / 4 GB node offers ~2.9 GiB to pods (checked at synth): broker + ZooKeeper + worker fit.
      worker: { subModel: 'cloud', replicas: 1, resources: { cpu: '1', memory: '1280Mi' } },
    },
  ],
  federation: { engine: 'none' },
  devices: { count: 1 },
};
