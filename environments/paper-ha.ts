/**
 * The paper's high-performance scenario (§5.2, Figs. 8–9): 3 edge computers and 3 GKE nodes, 3 Kafka brokers per
 * layer, 5 devices, one worker replica per partition, with 1…4 partitions. Topics are replicated 3 ways with
 * min.insync.replicas 2 so that one broker per layer can fail without losing acknowledged requests; MirrorMaker 2
 * carries features up and answers down, so a WAN outage pauses the flow instead of failing produces.
 * With KEDA the worker replicas follow the lag between 1 and the partitions (worker.replicas is what a run without
 * the autoscaler, e.g. the local main job, starts).
 */
import type { EnvironmentInput } from './schema';
import { LOCAL_CPU, PAPER_CLOUD, PAPER_CLOUD_MACHINE, PAPER_EDGE_EGRESS, PAPER_EDGE_NODES, PAPER_MODEL, PAPER_THRESHOLD, WORKER_IMAGE, cloudApiEndpoint, cloudExternal, edgeExternal } from './shared';

export const PAPER_HA_PARTITIONS = [1, 2, 3, 4] as const;
export type PaperHaPartitions = (typeof PAPER_HA_PARTITIONS)[number];

export function paperHa(partitions: PaperHaPartitions): EnvironmentInput {
  const name = `paper-ha-p${partitions}`;
  const topics = { partitions, replicationFactor: 3, minInSyncReplicas: 2 };
  return {
    name,
    description: `Paper §5.2 HA scenario: 3 brokers per layer, ${partitions} partition(s) = worker replicas, 5 devices`,
    coordination: 'zookeeper',
    transport: 'mirrored',
    threshold: PAPER_THRESHOLD,
    model: PAPER_MODEL,
    workerImage: WORKER_IMAGE,
    cloud: PAPER_CLOUD,
    layers: [
      {
        name: 'edge',
        cluster: { kind: 'on-prem', nodes: PAPER_EDGE_NODES, egressCidrs: PAPER_EDGE_EGRESS },
        kafka: { brokers: 3, quorum: 3, resources: { cpu: '500m', memory: '1Gi' }, external: edgeExternal(PAPER_EDGE_NODES[0].address) },
        topics,
        worker: { subModel: 'edge', replicas: partitions, resources: { cpu: '1', memory: '1Gi' } },
      },
      {
        name: 'cloud',
        cluster: { kind: 'gke', nodes: 3, machineType: PAPER_CLOUD_MACHINE, apiEndpoint: cloudApiEndpoint(name) },
        // Sized so 3 brokers, 3 ZooKeepers, MirrorMaker 2 and 4 workers fit the paper's 12 GB (3 × 4 GB nodes).
        kafka: { brokers: 3, quorum: 3, resources: { cpu: '250m', memory: '768Mi' }, external: cloudExternal(name) },
        topics,
        worker: { subModel: 'cloud', replicas: partitions, resources: { cpu: '400m', memory: '768Mi' } },
      },
    ],
    federation: { engine: 'kubefed', hostLayer: 'cloud' },
    devices: { count: 5 },
    localCpu: { ...LOCAL_CPU },
    // README "Operating it": KEDA scales each layer's workers on lag (1 … partitions), Prometheus Operator
    // PodMonitors + alerts, a Grafana dashboard per layer.
    operations: { autoscaling: { lagThreshold: 50 }, monitoring: {}, alerts: {}, dashboards: {} },
  };
}
