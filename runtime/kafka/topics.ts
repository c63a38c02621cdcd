/** Topic creation with partitions, replication factor and min.insync.replicas, validated first. */
import type { Admin } from 'kafkajs';
import { resolveTopic, type TopicSpec } from '../../contracts/kafka/topics';

export { resolveTopic, type ResolvedTopic, type TopicSpec } from '../../contracts/kafka/topics';

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
