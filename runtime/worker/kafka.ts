/**
 * The worker's Kafka adapters: one consumer on the input cluster and one producer per distinct cluster it
 * writes to (input cluster for dead letters, next layer's cluster, answers' cluster), all with the project's
 * low-latency client settings (runtime/kafka/client-settings.ts).
 */
import { Admin, Consumer, IHeaders, Kafka, KafkaConfig, Producer } from 'kafkajs';
import { ACKS_ALL, clientConfig, LOW_LATENCY_CONSUMER, LOW_LATENCY_PRODUCER } from '../kafka/client-settings';
import { SendCoalescer } from './coalescer';
import type { RemoteSecurity } from './config';

/**
 * Records coalesced into one produce request at most: Kafka's default message.max.bytes (1 MiB), so a request
 * fits a broker with default settings even when all its records land in one partition.
 */
const MAX_REQUEST_BYTES = 1024 * 1024;

function recordBytes(r: OutgoingRecord): number {
  let n = r.value.length + r.key.length + r.topic.length;
  for (const [k, v] of Object.entries(r.headers)) n += k.length + (v === undefined ? 0 : Array.isArray(v) ? v.join('').length : v.length);
  return n;
}

/** The project's client settings, plus TLS/SASL for a remote cluster. */
export function kafkaClient(clientId: string, brokers: readonly string[], security?: RemoteSecurity | null): Kafka {
  const config: KafkaConfig = clientConfig(clientId, brokers);
  if (security?.caPem) config.ssl = { ca: [security.caPem] };
  if (security?.sasl) config.sasl = security.sasl as KafkaConfig['sasl'];
  return new Kafka(config);
}

export interface OutgoingRecord {
  topic: string;
  key: string;
  value: Buffer;
  headers: IHeaders;
}

/** A producer bound to one cluster that sends a group of records in one request per broker, acks=all. */
export class ClusterProducer {
  private readonly coalescer: SendCoalescer<OutgoingRecord>;

  private constructor(
    readonly brokers: string,
    private readonly producer: Producer,
  ) {
    this.coalescer = new SendCoalescer((records) => this.sendNow(records), recordBytes, MAX_REQUEST_BYTES);
  }

  static async connect(clientId: string, brokers: readonly string[], security?: RemoteSecurity | null): Promise<ClusterProducer> {
    const producer = kafkaClient(clientId, brokers, security).producer(LOW_LATENCY_PRODUCER);
    await producer.connect();
    return new ClusterProducer(brokers.join(','), producer);
  }

  /** Resolves when the records are acknowledged by all in-sync replicas. */
  send(records: readonly OutgoingRecord[]): Promise<void> {
    return this.coalescer.send(records);
  }

  private async sendNow(records: readonly OutgoingRecord[]): Promise<void> {
    const byTopic = new Map<string, { key: string; value: Buffer; headers: IHeaders }[]>();
    for (const r of records) {
      const list = byTopic.get(r.topic) ?? [];
      list.push({ key: r.key, value: r.value, headers: r.headers });
      byTopic.set(r.topic, list);
    }
    await this.producer.sendBatch({
      acks: ACKS_ALL,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

/** Producers shared by destination: the same broker list gets one producer. */
export class ProducerPool {
  private readonly producers = new Map<string, Promise<ClusterProducer>>();

  constructor(private readonly clientId: string) {}

  get(brokers: readonly string[], security?: RemoteSecurity | null): Promise<ClusterProducer> {
    const key = brokers.join(',');
    let p = this.producers.get(key);
    if (!p) {
      p = ClusterProducer.connect(`${this.clientId}-p${this.producers.size}`, brokers, security);
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
