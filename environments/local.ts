/**
 * The embedded default (`npm start`): the whole continuum as local processes — one KRaft broker per layer on
 * 127.0.0.1, MirrorMaker 2 between them, two edge worker replicas and one cloud worker. Sized for a 2-core machine.
 * Nothing is provisioned: the constructs synthesize no manifests for it; runtime/continuum reads it.
 */
import type { EnvironmentInput } from './schema';
import { LOCAL_CPU, PAPER_THRESHOLD, WORKER_IMAGE } from './shared';

const topics = { partitions: 2, replicationFactor: 1, minInSyncReplicas: 1 };
const localKafka = { brokers: 1, quorum: 1, external: { type: 'NodePort' as const, host: '127.0.0.1' } };

export const local: EnvironmentInput = {
  name: 'local',
  description: 'Embedded default: edge + cloud as local processes, 1 KRaft broker per layer, MirrorMaker 2 between them',
  coordination: 'kraft',
  transport: 'mirrored',
  threshold: PAPER_THRESHOLD,
  model: { name: 'branchynet-vgg16', location: 'models/out/branchynet-vgg16/edge-cloud' },
  workerImage: WORKER_IMAGE,
  security: { externalListener: 'PLAINTEXT' },
  layers: [
    {
      name: 'edge',
      cluster: { kind: 'local' },
      kafka: localKafka,
      topics,
      worker: { subModel: 'edge', replicas: 2, resources: { cpu: '500m', memory: '1Gi' } },
    },
    {
      name: 'cloud',
      cluster: { kind: 'local' },
      kafka: localKafka,
      topics,
      worker: { subModel: 'cloud', replicas: 1, resources: { cpu: '1', memory: '1Gi' } },
    },
  ],
  federation: { engine: 'none' },
  devices: { count: 5 },
  localCpu: { ...LOCAL_CPU },
};
