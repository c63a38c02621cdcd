/** Helpers shared by the Kafka integration tests (real brokers, kafkajs clients). */
import type { Kafka, KafkaMessage } from 'kafkajs';
import { LOW_LATENCY_CONSUMER } from '../../runtime/kafka/client-settings';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Consumes `topic` from the beginning until `count` messages arrived (or timeoutMs passed) and
 * returns them in arrival order.
 */
export function consumeN(kafka: Kafka, topic: string, count: number, timeoutMs = 30_000): Promise<KafkaMessage[]> {
  return consumeUntil(kafka, topic, (got) => got.length >= count, timeoutMs);
}

/** Consumes `topic` from the beginning until `done(all so far)` says so (or timeoutMs passed), in arrival order. */
export async function consumeUntil(kafka: Kafka, topic: string, done: (got: KafkaMessage[]) => boolean, timeoutMs = 30_000): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ ...LOW_LATENCY_CONSUMER, groupId: `test-${topic}-${Date.now()}-${Math.random()}` });
  const got: KafkaMessage[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push(message);
          if (done(got)) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}
