/**
 * What a worker tells the rollout (contracts/registry.ts): where a model version is loaded from, and a status record
 * per replica on its cluster's rollout topic — the versions it has loaded, the active one, its consumer-group member
 * id — written when it joins its group, after each models record, and every few seconds (so a rollout topic created
 * after the worker started fills in).
 */
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { parseRegistryReference, REGISTRY_TOPIC, RegistryError, replicaStatusKey, ROLLOUT_TOPIC, type ReplicaStatus } from '../../contracts/registry';
import { loadFromRegistry } from '../registry/load';
import { loadSubModel, type SubModel } from '../tf/sub-model';
import { ACKS_ALL } from '../kafka/client-settings';

/**
 * Loads a sub-model from a registry reference (`registry:<version>[/<layer>]`, this cluster's registry), a path or a
 * URL. `want` is what the caller expects (a models record's version on this layer); null at start-up.
 */
export async function loadModelSource(kafka: Kafka, source: string, want: { version: string; layer: string } | null): Promise<SubModel> {
  const ref = parseRegistryReference(source);
  if (!ref) return loadSubModel(source);
  if (want && ref.version !== want.version) throw new RegistryError(`source ${source} names version ${ref.version}, not ${want.version}`);
  const layer = ref.layer ?? want?.layer;
  if (!layer) throw new RegistryError(`model ${source}: name the layer, registry:${ref.version}/<layer>`);
  return loadFromRegistry(kafka, REGISTRY_TOPIC, ref.version, layer);
}

const EVERY_MS = 5_000;

export class ModelStatusReporter {
  private memberId: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> | null = null;
  private warned = false;
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;

  /** Its own producer, with few retries: a missing rollout topic must never hold up the data path's records. */
  constructor(
    kafka: Kafka,
    private readonly base: Pick<ReplicaStatus, 'layer' | 'clientId' | 'groupId' | 'inputTopic'>,
    private readonly state: () => Pick<ReplicaStatus, 'active' | 'loaded' | 'error'>,
    private readonly log: Logger,
    private readonly topic = ROLLOUT_TOPIC,
  ) {
    this.producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 } });
  }

  start(): void {
    this.timer = setInterval(() => void this.publish(), EVERY_MS);
    this.timer.unref();
  }

  joined(memberId: string): void {
    this.memberId = memberId;
    void this.publish();
  }

  /** Writes the status now (after the previous write finished); never throws: a missing topic is logged once. */
  async publish(): Promise<void> {
    while (this.sending) await this.sending;
    const status: ReplicaStatus = { ...this.base, memberId: this.memberId, ...this.state(), at: Date.now() };
    const message = { key: replicaStatusKey(this.base.layer, this.base.clientId), value: JSON.stringify(status) };
    this.connected ??= this.producer.connect();
    this.sending = this.connected
      .then(() => this.producer.send({ topic: this.topic, acks: ACKS_ALL, messages: [message] }))
      .then(
        () => {
          this.warned = false;
        },
        (e: Error) => {
          this.connected = null; // connect again next time
          if (this.warned) return;
          this.warned = true; // once per outage: a continuum without a rollout topic is normal
          this.log.info({ event: 'model-status-failed', topic: this.topic, err: e.message }, 'model status not published (no rollout topic yet?)');
        },
      );
    await this.sending;
    this.sending = null;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    while (this.sending) await this.sending;
    await this.producer.disconnect().catch(() => undefined);
  }
}
