/**
 * Follows the control topic (contracts/control.ts) for one layer: reads it from the beginning at start (the
 * compacted log is the current state), then keeps following. Each record for this layer is validated; a bad one
 * is logged with its reason, counted, and changes nothing — the layer keeps its last good state. When the topic
 * does not exist yet the layer serves on its configured settings and looks again every few seconds, so a
 * continuum without a controller needs no control topic.
 *
 * Every replica follows on its own (a consumer group of its own, nothing committed): each must apply every record.
 */
import type { Admin, Consumer, ConsumerRunConfig, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { ControlError, decodeControlRecord, effectiveSettings, type LayerModels, type LayerSettings } from '../../contracts/control';
import { LOW_LATENCY_CONSUMER } from '../kafka/client-settings';
import { runRecovering } from '../kafka/consumer-recovery';

export type EffectiveSettings = ReturnType<typeof effectiveSettings>;

export interface ControlHandlers {
  /** the layer's settings changed (`*` and the layer's own record merged); `source` is the record that changed them */
  onSettings(settings: EffectiveSettings, source: LayerSettings | null): void;
  /** the layer's model versions changed; the follower waits for it (loading weights) before the next record */
  onModels(models: LayerModels | null): Promise<void>;
  /** a record was rejected: `reason` is a stable code for metrics */
  onRejected(reason: string, detail: string): void;
}

export interface ControlFollowerOptions {
  kafka: Kafka;
  topic: string;
  layer: string;
  clientId: string;
  log: Logger;
  /** how often a missing control topic is looked for again */
  retryMs?: number;
}

export class ControlFollower {
  private consumer: Consumer | null = null;
  private admin: Admin | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;
  private all: LayerSettings | null = null;
  private own: LayerSettings | null = null;

  constructor(
    private readonly opts: ControlFollowerOptions,
    private readonly handlers: ControlHandlers,
  ) {}

  /** Resolves once the records present at start are applied (or at once when the topic does not exist). */
  async start(): Promise<void> {
    this.admin = this.opts.kafka.admin();
    await this.admin.connect();
    await this.attach();
  }

  private async attach(): Promise<void> {
    if (this.stopped) return;
    const { topic, log } = this.opts;
    let ends: { partition: number; offset: string; low: string }[];
    try {
      // Ask for the list first: offsets of a missing topic are retried by kafkajs for ~25 s before failing,
      // which would hold every worker's start in a continuum without a controller.
      if (!(await this.admin!.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist`);
      ends = await this.admin!.fetchTopicOffsets(topic);
    } catch (e) {
      log.warn({ event: 'control-topic-missing', topic, err: (e as Error).message }, 'no control topic: serving on the configured settings');
      this.retry = setTimeout(() => void this.attach(), this.opts.retryMs ?? 5_000);
      this.retry.unref();
      return;
    }
    // Caught up when every partition's position reaches the high watermark seen now.
    const pending = new Map(ends.filter((e) => BigInt(e.offset) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.offset)]));
    let caughtUp!: () => void;
    const ready = new Promise<void>((r) => (caughtUp = r));
    if (pending.size === 0) caughtUp();

    const consumer = this.opts.kafka.consumer({
      ...LOW_LATENCY_CONSUMER,
      groupId: `ddnn-control.${this.opts.clientId}`,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const runOptions: ConsumerRunConfig = {
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        await this.apply(message.key === null ? null : message.key.toString('utf8'), message.value);
        const end = pending.get(partition);
        if (end !== undefined && BigInt(message.offset) + 1n >= end) {
          pending.delete(partition);
          if (pending.size === 0) caughtUp();
        }
      },
    };
    // After a crash kafkajs will not restart from (a broker fail-over), read the topic again: applying a record
    // twice changes nothing.
    await runRecovering(consumer, runOptions, {
      stopping: () => this.stopped,
      onFatal: (err) => log.error({ event: 'control-follower-crashed', err }, 'control topic no longer followed: keeping the last good settings'),
    });
    await ready;
    log.info({ event: 'control-following', topic }, 'following the control topic');
  }

  private async apply(key: string | null, value: Buffer | null): Promise<void> {
    const { layer, log } = this.opts;
    let record;
    try {
      record = decodeControlRecord(key, value);
    } catch (e) {
      const reason = e instanceof ControlError ? e.reason : 'invalid';
      this.handlers.onRejected(reason, (e as Error).message);
      return;
    }
    if (record.key.layer !== layer && record.key.layer !== '*') return; // another layer's
    if (record.key.kind === 'settings') {
      const value = record.value as LayerSettings | null;
      if (record.key.layer === '*') this.all = value;
      else this.own = value;
      this.handlers.onSettings(effectiveSettings(this.all, this.own), value);
      return;
    }
    try {
      await this.handlers.onModels(record.value as LayerModels | null);
    } catch (e) {
      this.handlers.onRejected('models-unavailable', (e as Error).message);
      log.error({ event: 'control-models-failed', err: e }, 'could not apply the model versions; serving the previous ones');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.consumer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }
}
