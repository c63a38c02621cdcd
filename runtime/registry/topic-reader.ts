/**
 * Reads a compacted topic from its beginning to the end it has now (the high watermarks seen at the start), keeping
 * the last value per key (null = tombstone, deleted). The registry, the rollout topic and the control topic are all
 * "the log is the state" topics read this way. A consumer group of its own, nothing committed.
 */
import { randomUUID } from 'crypto';
import type { Kafka } from 'kafkajs';
import { LOW_LATENCY_CONSUMER } from '../kafka/client-settings';

export class TopicMissingError extends Error {}

export async function topicExists(kafka: Kafka, topic: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).includes(topic);
  } finally {
    await admin.disconnect();
  }
}

/**
 * `keep(key)` says which keys to hold in memory (a worker loading one layer of one version keeps only those chunks).
 * Throws TopicMissingError when the topic does not exist.
 */
export async function readCompacted(kafka: Kafka, topic: string, keep: (key: string) => boolean = () => true, timeoutMs = 60_000): Promise<Map<string, Buffer>> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: { partition: number; offset: string; low: string }[];
  try {
    if (!(await admin.listTopics()).includes(topic)) throw new TopicMissingError(`topic ${topic} does not exist`);
    ends = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const out = new Map<string, Buffer>();
  const pending = new Map(ends.filter((e) => BigInt(e.offset) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.offset)]));
  if (pending.size === 0) return out;

  const consumer = kafka.consumer({ ...LOW_LATENCY_CONSUMER, groupId: `ddnn-reader.${topic}.${randomUUID()}`, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topic}: not at its end after ${timeoutMs} ms`)), timeoutMs);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const key = message.key?.toString('utf8');
            if (key !== undefined && keep(key)) {
              if (message.value === null) out.delete(key);
              else out.set(key, message.value);
            }
            const end = pending.get(partition);
            if (end !== undefined && BigInt(message.offset) + 1n >= end) {
              pending.delete(partition);
              if (pending.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return out;
}
