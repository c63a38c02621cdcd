/** Topic creation with partitions, replication factor and min.insync.replicas, validated first. */
import type { Admin } from 'kafkajs';

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

/** Creates the topics that do not exist yet and waits until each partition has a leader. */
export async function createTopics(admin: Admin, specs: readonly TopicSpec[], brokers: number): Promise<void> {
  const resolved = specs.map((s) => resolveTopic(s, brokers));
  const existing = new Set(await admin.listTopics());
  const missing = resolved.filter((t) => !existing.has(t.name));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: false,
    timeout: 30_000,
    topics: missing.map((t) => ({
      topic: t.name,
      numPartitions: t.partitions,
      replicationFactor: t.replicationFactor,
      configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
    })),
  });
  await waitForTopicLeaders(admin, missing, brokers);
}

/**
 * kafkajs' own `waitForLeaders` gives up when the broker it asks has not yet heard of a new topic
 * (UNKNOWN_TOPIC_OR_PARTITION, common with 3 brokers), so wait here until every partition has a leader.
 */
export async function waitForTopicLeaders(
  admin: Admin,
  specs: readonly TopicSpec[],
  brokers: number,
  timeoutMs = 30_000,
): Promise<void> {
  const topics = specs.map((s) => resolveTopic(s, brokers));
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const meta = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
      const ready = topics.every((t) => {
        const m = meta.topics.find((x) => x.name === t.name);
        return m !== undefined && m.partitions.length === t.partitions && m.partitions.every((p) => p.leader >= 0);
      });
      if (ready) return;
      last = 'some partitions have no leader yet';
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`topics [${topics.map((t) => t.name).join(',')}] have no leaders after ${timeoutMs} ms: ${last}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
