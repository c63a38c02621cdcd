/**
 * The worker's Kafka adapters: one consumer on the input cluster and one producer per distinct cluster it
 * writes to (input cluster for dead letters, next layer's cluster, answers' cluster), all with the project's
 * low-latency client settings (runtime/kafka/client-settings.ts).
 *
 * Producing is pipelined: several produce requests per broker may be in flight (answers and forwards are keyed by
 * request id and devices drop duplicates, so neither ordering nor exactly-once matters), and a destination that
 * refuses records (authorization, size, an invalid or vanished topic) refuses only those records — they come back
 * as `refused` for the dead-letter topic instead of failing, and redelivering, everything sent with them.
 */
import { Admin, Consumer, IHeaders, Kafka, KafkaConfig, Producer } from 'kafkajs';
import { ACKS_ALL, clientConfig, LOW_LATENCY_CONSUMER, LOW_LATENCY_PRODUCER } from '../kafka/client-settings';
import { SendCoalescer } from './coalescer';
import type { RemoteSecurity } from './config';
import { recordBytes, type OutgoingRecord } from './dead-letter';

export type { OutgoingRecord } from './dead-letter';

/**
 * Records coalesced into one produce request at most: Kafka's default message.max.bytes (1 MiB), so a request
 * fits a broker with default settings even when all its records land in one partition.
 */
const MAX_REQUEST_BYTES = 1024 * 1024;

/** Protocol errors that say "this destination will not take these records", not "try again later". */
const REFUSALS = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'INVALID_TOPIC_EXCEPTION',
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'POLICY_VIOLATION',
  'UNKNOWN_TOPIC_OR_PARTITION', // only reaches us after kafkajs' own retries: the topic is gone
]);

/**
 * The refusal reason of a produce error, or null when it may succeed later (broker down, leader moving). An error
 * that is not a Kafka error at all (the client could not encode the record) is deterministic: a refusal too.
 */
export function refusalOf(e: unknown): string | null {
  const name = (e as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string' || !name.startsWith('KafkaJS')) return `client error: ${String((e as Error)?.message ?? e)}`.slice(0, 500);
  for (let err = e as { type?: string; message?: string; cause?: unknown } | undefined, depth = 0; err && depth < 5; depth++) {
    if (err.type && REFUSALS.has(err.type)) return `${err.type}: ${err.message ?? ''}`.slice(0, 500);
    err = err.cause as typeof err;
  }
  return null;
}

export interface SendResult {
  /** records the destination refused, with why: they go to the dead-letter topic */
  refused: { record: OutgoingRecord; reason: string }[];
}

/** The project's client settings, plus TLS/SASL for a remote cluster. */
export function kafkaClient(clientId: string, brokers: readonly string[], security?: RemoteSecurity | null): Kafka {
  const config: KafkaConfig = clientConfig(clientId, brokers);
  if (security?.caPem) config.ssl = { ca: [security.caPem] };
  if (security?.sasl) config.sasl = security.sasl as KafkaConfig['sasl'];
  return new Kafka(config);
}

/** A producer bound to one cluster: coalesced requests, several in flight, acks=all, refusals isolated. */
export class ClusterProducer {
  private readonly coalescer: SendCoalescer<OutgoingRecord, SendResult>;

  private constructor(
    readonly brokers: string,
    private readonly producer: Producer,
    maxInFlight: number,
  ) {
    this.coalescer = new SendCoalescer((records) => this.sendIsolated(records), (r) => recordBytes(r), MAX_REQUEST_BYTES, maxInFlight, merge);
  }

  static async connect(clientId: string, brokers: readonly string[], maxInFlight: number, security?: RemoteSecurity | null): Promise<ClusterProducer> {
    // Not idempotent: kafkajs' idempotent producer holds a lock per broker, so one request at a time — a produce
    // round trip per batch of records across the WAN. Duplicates from retries are dropped by request id.
    const producer = kafkaClient(clientId, brokers, security).producer({ ...LOW_LATENCY_PRODUCER, idempotent: false, maxInFlightRequests: maxInFlight });
    await producer.connect();
    return new ClusterProducer(brokers.join(','), producer, maxInFlight);
  }

  /**
   * Resolves when every record is acknowledged by all in-sync replicas or refused by the destination (see
   * `refused`); rejects when the cluster could not be reached within kafkajs' retries — the caller retries.
   */
  send(records: readonly OutgoingRecord[]): Promise<SendResult> {
    return this.coalescer.send(records);
  }

  /** One request; on a refusal, each topic and then each record alone, so only the refused records are refused. */
  private async sendIsolated(records: OutgoingRecord[]): Promise<SendResult> {
    try {
      await this.sendNow(records);
      return { refused: [] };
    } catch (e) {
      const byTopic = groupBy(records, (r) => r.topic);
      if (byTopic.size > 1) {
        // Which topic failed is not in kafkajs' error: send each topic on its own.
        const parts = await Promise.all([...byTopic.values()].map((rs) => this.sendIsolated(rs)));
        return merge(parts);
      }
      const reason = refusalOf(e);
      if (!reason) throw e;
      if (records.length === 1) return { refused: [{ record: records[0], reason }] };
      return merge(await Promise.all(records.map((r) => this.sendIsolated([r]))));
    }
  }

  private async sendNow(records: readonly OutgoingRecord[]): Promise<void> {
    const byTopic = groupBy(records, (r) => r.topic);
    await this.producer.sendBatch({
      acks: ACKS_ALL,
      topicMessages: [...byTopic].map(([topic, rs]) => ({
        topic,
        messages: rs.map((r) => ({ key: r.key, value: r.value, headers: r.headers as IHeaders })),
      })),
    });
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

function merge(results: readonly SendResult[]): SendResult {
  return { refused: results.flatMap((r) => r.refused) };
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** Producers shared by destination: the same broker list gets one producer. */
export class ProducerPool {
  private readonly producers = new Map<string, Promise<ClusterProducer>>();

  constructor(
    private readonly clientId: string,
    private readonly maxInFlight: number,
  ) {}

  get(brokers: readonly string[], security?: RemoteSecurity | null): Promise<ClusterProducer> {
    const key = brokers.join(',');
    let p = this.producers.get(key);
    if (!p) {
      p = ClusterProducer.connect(`${this.clientId}-p${this.producers.size}`, brokers, this.maxInFlight, security);
      this.producers.set(key, p);
    }
    return p;
  }

  async disconnectAll(): Promise<void> {
    const all = await Promise.allSettled([...this.producers.values()]);
    await Promise.allSettled(all.flatMap((r) => (r.status === 'fulfilled' ? [r.value.disconnect()] : [])));
  }
}

/** An admin client (topic listings) with the same client settings. */
export function createAdmin(clientId: string, brokers: readonly string[], security?: RemoteSecurity | null): Admin {
  return kafkaClient(clientId, brokers, security).admin();
}

/** A consumer-group member with manual commits (see worker.ts for the at-least-once protocol). */
export function createConsumer(clientId: string, brokers: readonly string[], groupId: string, security?: RemoteSecurity | null): Consumer {
  return kafkaClient(clientId, brokers, security).consumer({ ...LOW_LATENCY_CONSUMER, groupId, allowAutoTopicCreation: false });
}
