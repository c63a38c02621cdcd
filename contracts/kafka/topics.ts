/**
 * A topic as the project declares it (name, partitions, replication, min.insync.replicas, configs) and its check
 * against a cluster's size. Pure: the local launcher (runtime/kafka/topics.ts) creates topics from these specs, the
 * environments plan them and the manifests' topic Job creates them.
 */

export interface TopicSpec {
  readonly name: string;
  /** @default 1 */
  readonly partitions?: number;
  /** @default min(3, brokers) */
  readonly replicationFactor?: number;
  /** @default max(1, replicationFactor - 1) */
  readonly minInsyncReplicas?: number;
  /** Any other topic config, e.g. { 'retention.ms': '600000' }. */
  readonly configs?: Readonly<Record<string, string>>;
}

export interface ResolvedTopic {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly configs: Record<string, string>;
}

/** Fills defaults and checks the spec against the cluster size; errors name the field and the range. */
export function resolveTopic(spec: TopicSpec, brokers: number): ResolvedTopic {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(spec.name)) {
    throw new Error(`topic name "${spec.name}" must be 1–249 characters of [A-Za-z0-9._-]`);
  }
  const partitions = spec.partitions ?? 1;
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new Error(`topic ${spec.name}: partitions (${partitions}) must be an integer ≥ 1`);
  }
  const rf = spec.replicationFactor ?? Math.min(3, brokers);
  if (!Number.isInteger(rf) || rf < 1 || rf > brokers) {
    throw new Error(`topic ${spec.name}: replicationFactor (${rf}) must be between 1 and brokers (${brokers})`);
  }
  const minIsr = spec.minInsyncReplicas ?? Math.max(1, rf - 1);
  if (!Number.isInteger(minIsr) || minIsr < 1 || minIsr > rf) {
    throw new Error(`topic ${spec.name}: minInsyncReplicas (${minIsr}) must be between 1 and replicationFactor (${rf})`);
  }
  return {
    name: spec.name,
    partitions,
    replicationFactor: rf,
    configs: { ...spec.configs, 'min.insync.replicas': String(minIsr) },
  };
}
