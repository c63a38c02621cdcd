/**
 * N simulated devices streaming images into the first layer's topic, each with its own reply topic
 * (`<replyTopicPrefix>.<deviceId>`, so a device can be allowed to read only its own answers), closed-loop
 * (the paper: send, wait for the answer, send the next) or at a fixed rate.
 */
import { randomBytes } from 'crypto';
import { Consumer, ConsumerRunConfig, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { ACKS_ALL, clientConfig, LOW_LATENCY_CONSUMER, LOW_LATENCY_PRODUCER } from '../kafka/client-settings';
import type { ClientSecurity } from '../kafka/security';
import { runRecovering } from '../kafka/consumer-recovery';
import { createTopics } from '../kafka/topics';
import { epochMs } from '../wire';
import { DeviceRecord, DeviceSession, imagesForDevice, LabeledImage } from './session';

export type SendMode = { kind: 'closed-loop'; window?: number } | { kind: 'rate'; perSecond: number };

export interface DeviceFleetOptions {
  /** bootstrap servers of the cluster the devices talk to (the first layer's) */
  brokers: readonly string[];
  /** the first layer's input topic */
  requestTopic: string;
  /** @default 'ddnn.replies' */
  replyTopicPrefix?: string;
  devices: number;
  images: readonly LabeledImage[];
  /** 'same': every device sends every image (the paper); 'shard': device i sends images i, i+N, … @default 'shard' */
  split?: 'same' | 'shard';
  /** @default closed-loop, one request in flight per device */
  mode?: SendMode;
  /** a request without an answer after this long is recorded as lost. @default 30000 */
  timeoutMs?: number;
  /** create missing reply topics (1 partition). @default true */
  createReplyTopics?: boolean;
  /** device ids are `<devicePrefix>-<i>`. @default 'device' */
  devicePrefix?: string;
  logger?: Logger;
  /** TLS + SASL: one access for all devices, or per device id (its own SCRAM user, for per-device ACLs). @default PLAINTEXT */
  security?: ClientSecurity | ((deviceId: string) => ClientSecurity);
  /** called once every device is connected, right before the first request */
  onStart?: () => void;
  /** called after every finished request, with its record when it was answered (the live view plots them) */
  onProgress?: (finished: number, total: number, answered?: DeviceRecord) => void;
}

export interface DeviceFleetResult {
  records: DeviceRecord[];
  /** answers that arrived again for an already answered request (at-least-once upstream) */
  duplicates: number;
  /** answers naming another device or a request this device never sent: must stay 0 */
  foreign: number;
  unknown: number;
  malformed: number;
  startedAt: number;
  finishedAt: number;
}

export function replyTopicFor(prefix: string, deviceId: string): string {
  return `${prefix}.${deviceId}`;
}

export async function runDevices(opts: DeviceFleetOptions): Promise<DeviceFleetResult> {
  const prefix = opts.replyTopicPrefix ?? 'ddnn.replies';
  const split = opts.split ?? 'shard';
  const mode = opts.mode ?? { kind: 'closed-loop', window: 1 };
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const runId = randomBytes(4).toString('hex');
  const ids = Array.from({ length: opts.devices }, (_, i) => `${opts.devicePrefix ?? 'device'}-${i}`);
  const security = (id: string) => (typeof opts.security === 'function' ? opts.security(id) : opts.security);
  const kafka = (id: string) => new Kafka(clientConfig(`${id}-${runId}`, opts.brokers, security(id)));

  if (opts.createReplyTopics ?? true) {
    const admin = kafka('ddnn-devices-admin').admin();
    await admin.connect();
    try {
      const brokers = (await admin.describeCluster()).brokers.length;
      await createTopics(admin, ids.map((id) => ({ name: replyTopicFor(prefix, id), partitions: 1 })), brokers);
    } finally {
      await admin.disconnect();
    }
  }

  const started = await Promise.allSettled(
    ids.map((id, i) => Device.start(id, kafka(id), replyTopicFor(prefix, id), runId, imagesForDevice(opts.images, i, opts.devices, split))),
  );
  const devices = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(devices.map((d) => d.close()));
    throw failed.reason;
  }
  const total = devices.reduce((n, d) => n + d.images.length, 0);
  let finished = 0;
  const progress = (answered?: DeviceRecord) => opts.onProgress?.(++finished, total, answered);
  const startedAt = epochMs();
  opts.onStart?.();
  opts.logger?.info({ event: 'devices-start', devices: opts.devices, requests: total, mode, split, runId }, 'devices streaming');
  try {
    await Promise.all(devices.map((d) => d.stream(opts.requestTopic, mode, timeoutMs, progress)));
  } finally {
    await Promise.all(devices.map((d) => d.close()));
  }
  const sum = (k: 'duplicates' | 'foreign' | 'unknown' | 'malformed') => devices.reduce((n, d) => n + d.session[k], 0);
  return {
    records: devices.flatMap((d) => d.records).sort((a, b) => a.sentAt - b.sentAt),
    duplicates: sum('duplicates'),
    foreign: sum('foreign'),
    unknown: sum('unknown'),
    malformed: sum('malformed'),
    startedAt,
    finishedAt: epochMs(),
  };
}

/** End offsets of a topic; retried, since a just-created topic's leadership takes a moment to reach every client. */
async function endOffsets(kafka: Kafka, topic: string): Promise<{ partition: number; offset: string }[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await admin.fetchTopicOffsets(topic);
      } catch (e) {
        if (attempt >= 20) throw e;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Commits a fresh group's start position. Without it, a consumer restarted after a crash (its group coordinator's
 * broker died, say) would find no committed offset and jump to the then-latest one, skipping answers that arrived
 * in between: a request answered by the continuum but lost by the device (found by the broker-kill fault test).
 */
async function commitStart(kafka: Kafka, groupId: string, topic: string, ends: { partition: number; offset: string }[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.setOffsets({ groupId, topic, partitions: ends });
  } finally {
    await admin.disconnect();
  }
}

class Device {
  readonly records: DeviceRecord[] = [];
  /** last offset read per reply-topic partition, committed once a second */
  readonly read = new Map<number, string>();
  private committer: NodeJS.Timeout | null = null;
  closing = false;
  private readonly waiters = new Map<string, (r: DeviceRecord | null) => void>();

  private constructor(
    readonly session: DeviceSession,
    readonly images: LabeledImage[],
    private readonly producer: Producer,
    private readonly consumer: Consumer,
  ) {}

  static async start(id: string, kafka: Kafka, replyTopic: string, runId: string, images: LabeledImage[]): Promise<Device> {
    const producer = kafka.producer(LOW_LATENCY_PRODUCER);
    const groupId = `ddnn-device.${id}.${runId}`;
    const consumer = kafka.consumer({ ...LOW_LATENCY_CONSUMER, groupId });
    const device = new Device(new DeviceSession(id, replyTopic, runId), images, producer, consumer);
    try {
      await producer.connect();
      // Start reading at the current end of the reply topic: answers from earlier runs are not ours.
      const ends = await endOffsets(kafka, replyTopic);
      await commitStart(kafka, groupId, replyTopic, ends);
      await consumer.connect();
      await consumer.subscribe({ topic: replyTopic, fromBeginning: false });
      const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
      const runOptions: ConsumerRunConfig = {
        // kafkajs' auto commit runs after every batch, before the next fetch: across the WAN a round trip per answer.
        // The device commits what it read once a second instead, off the fetch path, so a consumer restarted after a
        // crash resumes where it was (from commitStart's offsets before the first commit).
        autoCommit: false,
        eachMessage: async ({ message, partition }) => {
          device.read.set(partition, message.offset);
          const outcome = device.session.answer(message.headers, epochMs());
          if (outcome.kind === 'answer') {
            device.records.push(outcome.record);
            device.waiters.get(outcome.record.requestId)?.(outcome.record);
          }
        },
      };
      // A broker fail-over can end kafkajs' consumer for good: run it again, from the committed offsets.
      await runRecovering(consumer, runOptions, {
        stopping: () => device.closing,
        onFatal: () => undefined, // its open requests time out and are counted as lost
      });
      await joined;
      for (const { partition, offset } of ends) consumer.seek({ topic: replyTopic, partition, offset });
      device.startCommits(replyTopic);
    } catch (e) {
      await device.close();
      throw e;
    }
    return device;
  }

  async stream(topic: string, mode: SendMode, timeoutMs: number, progress: (answered?: DeviceRecord) => void): Promise<void> {
    const send = async (image: LabeledImage): Promise<void> => {
      const req = this.session.request(image, epochMs());
      const answered = new Promise<DeviceRecord | null>((resolve) => this.waiters.set(req.requestId, resolve));
      const timer = setTimeout(() => {
        const lost = this.session.expire(req.requestId);
        if (lost) this.records.push(lost);
        this.waiters.get(req.requestId)?.(null);
      }, timeoutMs);
      await this.producer.send({ topic, acks: ACKS_ALL, messages: [{ key: req.key, value: req.value, headers: req.headers }] });
      const record = await answered;
      clearTimeout(timer);
      this.waiters.delete(req.requestId);
      progress(record ?? undefined);
    };

    if (mode.kind === 'closed-loop') {
      let next = 0;
      const lane = async () => {
        while (next < this.images.length) await send(this.images[next++]);
      };
      await Promise.all(Array.from({ length: Math.max(1, mode.window ?? 1) }, lane));
    } else {
      const interval = 1000 / mode.perSecond;
      const start = epochMs();
      const inFlight: Promise<void>[] = [];
      for (let i = 0; i < this.images.length; i++) {
        const wait = start + i * interval - epochMs();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        inFlight.push(send(this.images[i]));
      }
      await Promise.all(inFlight);
    }
  }

  startCommits(topic: string): void {
    let committed = new Map<number, string>();
    this.committer = setInterval(() => {
      const due = [...this.read].filter(([p, o]) => committed.get(p) !== o);
      if (due.length === 0) return;
      committed = new Map(this.read);
      this.consumer.commitOffsets(due.map(([partition, offset]) => ({ topic, partition, offset: String(Number(offset) + 1) }))).catch(() => undefined);
    }, 1000);
    this.committer.unref();
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.committer) clearInterval(this.committer);
    await Promise.allSettled([this.consumer.disconnect(), this.producer.disconnect()]);
  }
}
