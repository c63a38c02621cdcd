/**
 * The early-exit worker of one continuum layer. One request path, top to bottom:
 *
 *   fetch → screen/accept → micro-batch → predict → decide → encode → produce → settle → commit
 *
 * Pipelined: taking a fetch never waits for earlier records' acknowledgements. `eachBatch` only screens the
 * records (synchronously, plus one reply-topic lookup per fetch), hands them to the batcher, advances kafkajs'
 * fetch position and returns, so the next fetch is already on its way while this one is predicted and produced.
 *
 * At-least-once: every record ends as an answer, a forward or a dead letter ("settled"), and a partition's offset is
 * committed only up to the highest offset whose record and every record before it settled (commit-tracker.ts).
 * In-flight records are bounded per partition (records and bytes): a slow downstream stalls fetching of that
 * partition (backpressure, with heartbeats) instead of growing memory. A crash, a rebalance or a kill replays
 * unsettled records; devices drop duplicate answers by request id.
 *
 * No single record can stop a layer: undecodable batches (a codec the client lacks, corrupt data), header floods,
 * forged reply topics and destinations that refuse a write all become dead letters with the reason, and a
 * partition that stops making progress fails /healthz so the orchestrator restarts the pod.
 */
import { readFileSync } from 'fs';
import type { Batch, EachBatchPayload, KafkaMessage } from 'kafkajs';
import pino, { Logger } from 'pino';
import type { SubModelManifest } from '../../contracts/manifest';
import { BackendInfo, selectBackend } from '../tf/backend';
import type { SampleOutputs, SubModel } from '../tf/sub-model';
import { epochMs, HEADER, WireError } from '../wire';
import { MicroBatcher } from './batcher';
import { CommitTracker, partitionKey, type Ticket } from './commit-tracker';
import { checkConfigAgainstManifest, parseWorkerConfig, remoteSecurity, WORKER_ENV, WorkerConfig, WorkerConfigInput } from './config';
import { deadLetter, recordBytes, type Headers, type OutgoingRecord } from './dead-letter';
import { startHealthServer, HealthServer } from './http';
import { ControlFollower, type EffectiveSettings } from './control-follower';
import { ModelSet, type ServedModel } from './model-set';
import { ModelStatusReporter, loadModelSource } from './model-status';
import { runRecovering, type RecoveryOptions } from '../kafka/consumer-recovery';
import { ClusterProducer, createAdmin, createConsumer, kafkaClient, ProducerPool, SendResult } from './kafka';
import { createWorkerMetrics, WorkerMetrics } from './metrics';
import { ReplyTopics } from './reply-topics';
import { acceptRequest, AcceptRules, InboundRequest, OutboundRecord, routeSample } from './route';

export interface WorkerHandle {
  readonly layer: string;
  readonly manifest: SubModelManifest;
  readonly backend: BackendInfo;
  readonly config: WorkerConfig;
  readonly metrics: WorkerMetrics;
  /** health/metrics port, null when disabled */
  readonly httpPort: number | null;
  /** resolves when the consumer has joined its group the first time */
  readonly joined: Promise<void>;
  /** resolves when the worker has stopped (stop() or a consumer crash it cannot recover from) */
  readonly done: Promise<void>;
  /** Graceful: stop fetching, finish in-flight records, commit, disconnect. Idempotent. */
  stop(): Promise<void>;
}

export interface WorkerDeps {
  logger?: Logger;
  /** an already-loaded sub-model (the main job shares one between replicas in one process) */
  subModel?: SubModel;
  /** export Node process metrics in /metrics; off when several workers share a process */
  processMetrics?: boolean;
}

/** What kafkajs (patched, see patches/) puts on the one record standing for a batch it could not decode. */
interface UndecodableBatch {
  reason: string;
  codec: number;
  firstOffset: string;
  lastOffset: string;
}
type FetchedMessage = KafkaMessage & { undecodable?: UndecodableBatch };

interface Job {
  request: InboundRequest;
  /** the model version that serves it, held loaded until its predict is done */
  served: ServedModel;
  ticket: Ticket;
  raw: FetchedMessage;
  topic: string;
  partition: number;
}

/** How long a graceful stop waits for in-flight records before it commits what finished and leaves. */
const STOP_DRAIN_MS = 15_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

/**
 * While relaying, 1 raw request in this many still takes the split path (a canary): the layers' predict times stay
 * measured, so the controller sees when the split is worth returning to (without it, an idle layer's last figure
 * held, and a recovered edge or a drained cloud backlog went unnoticed).
 */
export const RELAY_CANARY_EVERY = 20;

export async function startWorker(input: WorkerConfig | WorkerConfigInput, deps: WorkerDeps = {}): Promise<WorkerHandle> {
  const config = parseWorkerConfig(input as Record<string, unknown>);
  const baseLogger = deps.logger ?? pino({ level: config.logLevel, base: { service: 'ddnn-worker' } });
  const backend = await selectBackend(config.backend, baseLogger);
  // TLS/SASL settings apply to the other clusters this worker writes to (a remote layer over the WAN).
  const security = remoteSecurity(config, (f) => readFileSync(f, 'utf8'));
  const secure = (brokers: readonly string[]) =>
    config.kafkaSecurityScope === 'all' || brokers.join(',') !== config.brokers.join(',') ? security : null;
  // `registry:<version>` sources load from the registry topic of this worker's own cluster (contracts/registry.ts).
  const registryKafka = kafkaClient(`${config.clientId}-registry`, config.brokers, secure(config.brokers));
  const model = deps.subModel ?? (await loadModelSource(registryKafka, config.model, null));
  const { manifest } = model;
  checkConfigAgainstManifest(config, manifest);
  const log = baseLogger.child({ layer: manifest.layer, input: config.inputTopic });
  const metrics = createWorkerMetrics(manifest.layer, { processMetrics: deps.processMetrics });

  const producers = new ProducerPool(config.clientId, config.produceMaxInFlight);
  const home = await producers.get(config.brokers, secure(config.brokers)); // dead letters go back to the input cluster
  const next = config.nextTopic ? await producers.get(config.nextBrokers, secure(config.nextBrokers)) : null;
  const relayTo = config.relayTopic ? await producers.get(config.relayBrokers, secure(config.relayBrokers)) : null;
  const answers = await producers.get(config.answerBrokers, secure(config.answerBrokers));
  const consumer = createConsumer(config.clientId, config.brokers, config.groupId, secure(config.brokers));
  const answersAdmin = config.answerTopic ? null : createAdmin(`${config.clientId}-admin`, config.answerBrokers, secure(config.answerBrokers));
  await answersAdmin?.connect();
  const replyTopics = answersAdmin ? new ReplyTopics(() => answersAdmin.listTopics()) : null;

  // Model versions: the configured one until the control topic's models record says otherwise (rollout/rollback).
  const models = new ModelSet(model, !deps.subModel, {
    layer: manifest.layer,
    load: (version, source) => loadModelSource(registryKafka, source, { version, layer: manifest.layer }),
    check: (m) => checkConfigAgainstManifest(config, m),
    log,
    registry: metrics.registry,
    onChange: () => {
      rules.manifest = models.active.manifest;
      rules.served = models.manifests();
    },
  });
  const rules: AcceptRules = {
    manifest,
    served: models.manifests(),
    answerTopic: config.answerTopic,
    replyTopicPattern: new RegExp(config.replyTopicPattern),
    forbiddenReplyTopics: new Set([config.inputTopic, config.dlqTopic, ...(config.nextTopic ? [config.nextTopic] : []), ...(config.relayTopic ? [config.relayTopic] : [])]),
    maxHeaders: config.maxHeaders,
    maxHeaderBytes: config.maxHeaderBytes,
  };
  // Run-time settings: the configured values until the control topic says otherwise; a batch reads them when it
  // starts, so a change applies between batches.
  const policy = { criterion: config.exitCriterion, threshold: config.threshold };
  let featuresDtype = config.featuresDtype;
  /** the cloud-only placement in force (control topic `relay`): raw requests go on to `relayTopic` unprocessed */
  let relaying = false;
  let relayed = 0;
  const batcher = new MicroBatcher<Job>({ maxSize: config.batchMaxSize, maxWaitMs: config.batchMaxWaitMs });
  showSettings();
  const tracker = new CommitTracker({ maxRecords: config.maxInFlightRecords, maxBytes: config.maxInFlightBytes });
  let busy = false;
  let scheduled = false;
  /** records given up while stopping (a produce that cannot finish): the stop does not wait for them */
  let abandoned = 0;
  let timer: NodeJS.Timeout | null = null;

  const runOptions = { autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: config.partitionsConcurrency, eachBatch };

  let ready = false;
  let crashed = false;
  let stalled = false;
  let stopping: Promise<void> | null = null;
  let markJoined!: () => void;
  const joined = new Promise<void>((r) => (markJoined = r));
  let markDone!: () => void;
  const done = new Promise<void>((r) => (markDone = r));

  // ── fetch → screen/accept: never waits for downstream, except for room when a partition is full ──────────
  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const messages = batch.messages as FetchedMessage[];
    if (replyTopics) await lookUpReplyTopics(messages); // one lookup per fetch, for every name in it
    let last: string | null = null;
    try {
      for (const message of messages) {
        if (!isRunning() || stopping) break; // the rest is fetched again by whoever owns the partition next
        const bytes = recordBytes({ key: message.key, value: message.value, headers: message.headers as Headers });
        if (!tracker.hasRoom(topic, partition, bytes)) {
          if (last !== null) resolveOffset(last); // what was taken so far is not fetched again
          await waitForRoom(topic, partition, bytes, heartbeat);
          if (!isRunning() || stopping) break;
        }
        const ticket = tracker.take(topic, partition, Number(message.offset), bytes, Date.now());
        metrics.requests.inc();
        metrics.inFlight.set(tracker.totalInFlight);
        take(message, ticket, topic, partition);
        last = message.offset;
      }
    } finally {
      // Advances kafkajs' fetch position only: commits follow what settled (commitSoon).
      if (last !== null) resolveOffset(last);
      updateLag(batch, last);
    }
  }

  async function lookUpReplyTopics(messages: FetchedMessage[]): Promise<void> {
    const names = new Set<string>();
    for (const m of messages) {
      const v = (m.headers as Headers | undefined)?.[HEADER.replyTopic];
      if (typeof v === 'string') names.add(v);
      else if (Buffer.isBuffer(v) && v.length <= 249) names.add(v.toString('utf8'));
    }
    const unknown = [...names].filter((n) => replyTopics!.cached(n) === undefined);
    if (unknown.length === 0) return;
    try {
      await replyTopics!.resolve(unknown);
    } catch (e) {
      // Cannot list topics now: take the records anyway; an answer to a missing topic is refused at produce.
      metrics.errors.inc({ stage: 'reply-topics' });
      log.warn({ event: 'reply-topic-lookup-failed', err: e }, 'could not list reply topics');
    }
  }

  function take(message: FetchedMessage, ticket: Ticket, topic: string, partition: number): void {
    if (message.undecodable) {
      const u = message.undecodable;
      const detail = `batch at offsets ${u.firstOffset}-${u.lastOffset} (codec ${u.codec}) could not be decoded: ${u.reason}`;
      void sendToDeadLetters(message, topic, partition, 'undecodable-batch', detail, u.lastOffset).then(() => settle(ticket));
      return;
    }
    const inAt = epochMs();
    let request: InboundRequest;
    try {
      request = acceptRequest(message.value, message.headers, rules, inAt);
      if (replyTopics && replyTopics.cached(request.headers.replyTopic) === false) {
        throw new WireError('unknown-reply-topic', `reply topic "${request.headers.replyTopic}" does not exist on the answers' cluster`);
      }
    } catch (e) {
      const w = e instanceof WireError ? e : new WireError('bad-header', `unreadable record: ${(e as Error).message}`);
      void sendToDeadLetters(message, topic, partition, w.reason, w.message).then(() => settle(ticket));
      return;
    }
    if (relaying && request.headers.modelVersion === undefined && ++relayed % RELAY_CANARY_EVERY !== 0) {
      relay(message, ticket, topic, partition, request.inAt);
      return;
    }
    const served = models.get(request.manifest!.modelVersion);
    if (!served) {
      // cannot happen: the rules follow the set synchronously (ModelSet's onChange); a dead letter, never a crash
      void sendToDeadLetters(message, topic, partition, 'model-version-mismatch', `model version ${request.manifest!.modelVersion} is not served now`).then(() => settle(ticket));
      return;
    }
    models.acquire(served);
    batcher.add([{ request, served, ticket, raw: message, topic, partition }], epochMs());
    schedule();
  }

  /**
   * The cloud-only placement, live: a device's raw request goes on unprocessed (same value and headers: the reply
   * topic, the request id, the created-at) to the worker with the whole model, which answers the device itself.
   */
  function relay(message: FetchedMessage, ticket: Ticket, topic: string, partition: number, inAt: number): void {
    const record: OutgoingRecord = { topic: config.relayTopic!, key: message.key, value: message.value, headers: message.headers as OutgoingRecord['headers'] };
    void deliver(relayTo!, [record]).then(
      (result) => {
        const refused = result.refused[0];
        if (refused) {
          void sendToDeadLetters(message, topic, partition, 'destination-refused', `${record.topic}: ${refused.reason}`).then(() => settle(ticket));
          return;
        }
        metrics.relays.inc();
        if (relayTo !== home) metrics.wanBytes.inc({ destination: 'next' }, recordBytes(record));
        metrics.hopSeconds.observe((epochMs() - inAt) / 1000);
        settle(ticket);
      },
      () => {
        abandoned++; // stopping: replayed by the next owner
      },
    );
  }

  // ── room per partition (backpressure) ─────────────────────────────────────────────────────────────────
  const roomWaiters = new Map<string, () => void>();

  async function waitForRoom(topic: string, partition: number, bytes: number, heartbeat: () => Promise<void>): Promise<void> {
    const key = partitionKey(topic, partition);
    while (!tracker.hasRoom(topic, partition, bytes) && !stopping) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        roomWaiters.set(key, () => {
          clearTimeout(t);
          resolve();
        });
      });
      roomWaiters.delete(key);
      try {
        await heartbeat(); // long waits keep the membership; a rebalance surfaces here
      } catch (e) {
        await commitNow();
        throw e;
      }
    }
  }

  // ── settle → commit ───────────────────────────────────────────────────────────────────────────────────
  function settle(ticket: Ticket): void {
    if (tracker.settle(ticket, Date.now())) commitSoon();
    metrics.inFlight.set(tracker.totalInFlight);
    publishLag(ticket.key);
    const wake = roomWaiters.get(ticket.key);
    if (wake) wake();
  }

  let commitTimer: NodeJS.Timeout | null = null;
  let committing: Promise<void> | null = null;
  /** the consumer is disconnected for good: nothing more can be committed (the next owner replays the rest) */
  let closed = false;

  function commitSoon(): void {
    if (commitTimer || committing || closed) return;
    commitTimer = setTimeout(() => {
      commitTimer = null;
      void commitNow();
    }, config.commitIntervalMs);
  }

  async function commitNow(): Promise<void> {
    while (committing) await committing;
    if (closed) return;
    const offsets = tracker.pendingCommits();
    if (offsets.length === 0) return;
    committing = consumer.commitOffsets(offsets).then(
      () => tracker.markCommitted(offsets),
      (e: Error) => {
        metrics.errors.inc({ stage: 'commit' });
        log.warn({ event: 'commit-failed', err: e, offsets }, 'commit failed; it is retried with the next settled record');
      },
    );
    await committing;
    committing = null;
    if (tracker.pendingCommits().length > 0) commitSoon();
  }

  // Lag = records behind the high watermark at the last fetch + records taken but not settled, so a slow layer's
  // backlog shows even when one fetch took it all; it falls as records settle and reaches 0 when drained.
  const behind = new Map<string, { topic: string; partition: number; records: number }>();

  function updateLag(batch: Batch, last: string | null): void {
    const fetchedUpTo = last === null ? Number(batch.firstOffset() ?? batch.highWatermark) : Number(last) + 1;
    const key = partitionKey(batch.topic, batch.partition);
    behind.set(key, { topic: batch.topic, partition: batch.partition, records: Math.max(0, Number(batch.highWatermark) - fetchedUpTo) });
    publishLag(key);
  }

  function publishLag(key: string): void {
    const b = behind.get(key);
    if (b) metrics.lag.set({ topic: b.topic, partition: String(b.partition) }, b.records + tracker.inFlight(b.topic, b.partition).records);
  }

  // ── micro-batch ───────────────────────────────────────────────────────────────────────────────────────
  // The model runs on the next turn of the event loop, so that the records of one fetch, accepted in one
  // synchronous loop, queue up before it takes its first batch.
  function schedule(): void {
    if (busy || scheduled) return;
    scheduled = true;
    setImmediate(pump);
  }

  async function pump(): Promise<void> {
    scheduled = false;
    if (busy) return;
    busy = true;
    try {
      for (let jobs = batcher.take(epochMs()); jobs; jobs = batcher.take(epochMs())) await runBatch(jobs);
    } finally {
      busy = false;
    }
    // A partial batch left waiting for more (batchMaxWaitMs > 0): come back when its wait is over.
    const deadline = batcher.deadline();
    if (deadline !== null && !timer) {
      timer = setTimeout(() => {
        timer = null;
        schedule();
      }, Math.max(0, deadline - epochMs()));
    }
  }

  // ── predict → decide → encode → produce (not awaited: the next batch's predict overlaps it) ───────────────
  // A micro-batch never mixes model versions: during a rollout it is split per version.
  async function runBatch(jobs: Job[]): Promise<void> {
    const byVersion = new Map<ServedModel, Job[]>();
    for (const j of jobs) byVersion.set(j.served, [...(byVersion.get(j.served) ?? []), j]);
    for (const [served, group] of byVersion) await runVersionBatch(served, group);
  }

  async function runVersionBatch(served: ServedModel, jobs: Job[]): Promise<void> {
    const t0 = performance.now();
    let outputs: SampleOutputs[];
    try {
      outputs = await served.model.predict(jobs.map((j) => j.request.tensor.data));
    } catch (e) {
      metrics.errors.inc({ stage: 'predict' });
      log.error({ event: 'predict-failed', err: e, batch: jobs.length }, 'predict failed');
      // Alone, each sample either succeeds or is dead-lettered: one bad sample cannot block its partition.
      if (jobs.length > 1) {
        for (const j of jobs) await runVersionBatch(served, [j]);
      } else {
        const j = jobs[0];
        models.release(served);
        void sendToDeadLetters(j.raw, j.topic, j.partition, 'predict-failed', (e as Error).message).then(() => settle(j.ticket));
      }
      return;
    }
    const modelMs = performance.now() - t0;
    for (let i = 0; i < jobs.length; i++) models.release(served); // predicted: a retired version may go now
    metrics.batchSize.observe(jobs.length);
    metrics.predictSeconds.observe(modelMs / 1000);

    const outAt = epochMs();
    const ctx = {
      manifest: served.manifest,
      policy: { ...policy },
      nextTopic: config.nextTopic,
      answerTopic: config.answerTopic,
      featuresDtype,
      batchWaitMs: batcher.maxWaitMs,
      modelMs,
      outAt,
    };
    const routed: OutboundRecord[] = jobs.map((j, i) => routeSample(j.request, outputs[i], ctx));
    const toNext: OutgoingRecord[] = [];
    const toAnswer: OutgoingRecord[] = [];
    const jobOf = new Map<OutgoingRecord, { job: Job; answer: boolean }>();
    routed.forEach((r, i) => {
      const record: OutgoingRecord = { topic: r.topic, key: r.key, value: r.value, headers: r.headers };
      (r.destination === 'next' ? toNext : toAnswer).push(record);
      jobOf.set(record, { job: jobs[i], answer: r.destination === 'answer' });
    });
    if (toNext.length > 0) void produce(next!, toNext, jobOf);
    if (toAnswer.length > 0) void produce(answers, toAnswer, jobOf);
  }

  async function produce(producer: ClusterProducer, records: OutgoingRecord[], jobOf: Map<OutgoingRecord, { job: Job; answer: boolean }>): Promise<void> {
    let result: SendResult;
    try {
      result = await deliver(producer, records);
    } catch {
      abandoned += records.length; // stopping: these records stay unsettled and are replayed by the next owner
      return;
    }
    const refused = new Map(result.refused.filter((r) => jobOf.has(r.record)).map((r) => [r.record, r.reason]));
    const now = epochMs();
    for (const record of records) {
      const { job, answer } = jobOf.get(record)!;
      const reason = refused.get(record);
      if (reason !== undefined) {
        void sendToDeadLetters(job.raw, job.topic, job.partition, 'destination-refused', `${record.topic}: ${reason}`).then(() => settle(job.ticket));
        continue;
      }
      (answer ? metrics.answers : metrics.forwards).inc();
      if (producer !== home) metrics.wanBytes.inc({ destination: answer ? 'answer' : 'next' }, recordBytes(record)); // pooled per cluster
      metrics.hopSeconds.observe((now - job.request.inAt) / 1000);
      if (answer) metrics.exitLatencySeconds.observe(Math.max(0, now - job.request.headers.createdAt) / 1000);
      settle(job.ticket);
    }
  }

  /** Sends until acknowledged or refused; a cluster out of reach is retried (with backoff) until the worker stops. */
  async function deliver(producer: ClusterProducer, records: OutgoingRecord[]): Promise<SendResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await producer.send(records);
      } catch (e) {
        metrics.errors.inc({ stage: 'produce' });
        log.error({ event: 'produce-failed', err: e, records: records.length, attempt }, 'produce failed; retrying');
        if (stopping) throw e;
        await sleep(Math.min(5_000, 100 * 2 ** attempt));
        if (stopping) throw e;
      }
    }
  }

  // ── malformed input: dead-letter topic, with the reason, and keep serving ─────────────────────────────
  async function sendToDeadLetters(message: FetchedMessage, topic: string, partition: number, reason: string, detail: string, lastOffset?: string): Promise<void> {
    metrics.deadLetters.inc({ reason });
    log.warn({ event: 'dead-letter', reason, detail: detail.slice(0, 300), topic, partition, offset: message.offset }, 'record → dead-letter topic');
    const ctx = { dlqTopic: config.dlqTopic, layer: manifest.layer, topic, partition, maxBytes: config.dlqMaxBytes, lastOffset };
    const raw = { key: message.key ?? null, value: message.value ?? null, headers: (message.headers ?? {}) as Headers, offset: message.offset };
    try {
      let result = await deliver(home, [deadLetter(raw, reason, detail, ctx)]);
      if (result.refused.length > 0) {
        // The dead-letter topic refuses the record itself: keep the reason and where to find it in the log.
        const bare = { key: null, value: null, headers: {}, offset: message.offset };
        result = await deliver(home, [deadLetter(bare, reason, `${detail} (record not kept: ${result.refused[0].reason})`, ctx)]);
        if (result.refused.length > 0) {
          metrics.errors.inc({ stage: 'dead-letter' });
          log.error({ event: 'dead-letter-refused', reason: result.refused[0].reason, topic, partition, offset: message.offset }, 'the dead-letter topic refused the record; it stays in the input log only');
        }
      }
    } catch {
      abandoned++; // stopping: never settled, the record is replayed by the next owner
      await new Promise<void>(() => undefined);
    }
  }

  // ── control topic: run-time settings and model versions ─────────────────────────────────────────────────
  function showSettings(): void {
    metrics.threshold.set(policy.threshold);
    metrics.batchWaitSeconds.set(batcher.maxWaitMs / 1000);
    metrics.relay.set(relaying ? 1 : 0);
    for (const dtype of ['float32', 'float16', 'int8']) metrics.featuresEncoding.set({ dtype }, dtype === featuresDtype ? 1 : 0);
  }

  function applySettings(s: EffectiveSettings, source: { by?: string; reason?: string } | null): void {
    const before = { threshold: policy.threshold, featuresDtype, batchMaxWaitMs: batcher.maxWaitMs, relay: relaying };
    if (s.relay && !config.relayTopic) {
      // The rest of the record applies; relaying needs a relay topic this worker was not given.
      metrics.controlRejected.inc({ reason: 'no-relay-topic' });
      log.warn({ event: 'control-rejected', reason: 'no-relay-topic' }, `relay asked for, but this worker has no relay topic (${WORKER_ENV.relayTopic}): not relaying`);
    }
    relaying = s.relay === true && config.relayTopic !== undefined;
    policy.threshold = s.threshold ?? config.threshold;
    featuresDtype = s.featuresDtype ?? config.featuresDtype;
    batcher.setMaxWaitMs(s.batchMaxWaitMs ?? config.batchMaxWaitMs);
    showSettings();
    metrics.controlApplied.inc({ kind: 'settings' });
    const after = { threshold: policy.threshold, featuresDtype, batchMaxWaitMs: batcher.maxWaitMs, relay: relaying };
    log.info({ event: 'settings-applied', before, after, by: source?.by, reason: source?.reason }, 'run-time settings changed');
    schedule(); // a shorter wait may make a queued partial batch due now
  }

  const control =
    config.controlTopic === 'off'
      ? null
      : new ControlFollower(
          { kafka: kafkaClient(`${config.clientId}-control`, config.brokers, secure(config.brokers)), topic: config.controlTopic, layer: manifest.layer, clientId: config.clientId, log },
          {
            onSettings: applySettings,
            onModels: async (m) => {
              try {
                await models.apply(m);
              } finally {
                void status?.publish();
              }
              metrics.controlApplied.inc({ kind: 'models' });
            },
            onRejected: (reason, detail) => {
              metrics.controlRejected.inc({ reason });
              log.warn({ event: 'control-rejected', reason, detail: detail.slice(0, 500) }, 'control record ignored; keeping the last good settings');
            },
          },
        );

  // Tells the rollout which versions this replica has loaded (contracts/registry.ts: the rollout topic).
  const status =
    config.controlTopic === 'off'
      ? null
      : new ModelStatusReporter(
          registryKafka,
          { layer: manifest.layer, clientId: config.clientId, groupId: config.groupId, inputTopic: config.inputTopic },
          () => ({ active: models.active.version, loaded: models.versions(), ...(models.lastError ? { error: models.lastError } : {}) }),
          log,
        );

  // ── lifecycle ───────────────────────────────────────────────────────────────────────────────────────
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    ready = true;
    markJoined();
    status?.joined(e.payload.memberId);
    // kafkajs restarts every partition from its committed offset after a join: records still in flight are
    // fetched again, so the bookkeeping starts afresh (their late settles are ignored; devices drop duplicates).
    for (const { topic, partition } of tracker.held()) {
      tracker.revoke(topic, partition);
      behind.delete(partitionKey(topic, partition));
      metrics.lag.remove({ topic, partition: String(partition) });
    }
    metrics.inFlight.set(0);
    for (const wake of roomWaiters.values()) wake();
    log.info({ event: 'group-join', groupId: config.groupId, assignment: e.payload.memberAssignment }, 'joined consumer group');
  });
  consumer.on(consumer.events.REBALANCING, () => {
    void commitNow(); // the settled prefix, before partitions may move to another member
  });
  consumer.on(consumer.events.CRASH, (e) => {
    log.error({ event: 'consumer-crash', err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
  });
  // A broker fail-over can end kafkajs' consumer for good (a coordinator not found): run it again; an error no
  // retry fixes (authentication, authorization) stops the worker, whose process then exits non-zero.
  const recovery: RecoveryOptions = {
    stopping: () => stopping !== null,
    onRestart: (err, attempt, delayMs) => {
      ready = false;
      metrics.consumerRestarts.inc();
      log.warn({ event: 'consumer-restart', err, attempt, delayMs }, 'consumer crashed on a transient error: running it again');
    },
    onFatal: () => {
      crashed = true;
      ready = false;
      void stop();
    },
  };

  // Liveness: a partition holding records in flight that makes no progress for stallTimeoutMs is stuck.
  const stallCheck = setInterval(() => {
    const stuck = tracker.stalled(Date.now(), config.stallTimeoutMs);
    if ((stuck.length > 0) !== stalled) {
      stalled = stuck.length > 0;
      if (stalled) log.error({ event: 'stalled', partitions: stuck }, 'no progress: /healthz fails until it resumes');
      else log.info({ event: 'progressing' }, 'progress resumed');
    }
  }, Math.min(1000, config.stallTimeoutMs / 4));
  stallCheck.unref();
  const live = () => !crashed && !stalled;

  const health: HealthServer | null =
    config.httpPort >= 0 ? await startHealthServer(config.httpPort, metrics.registry, { live, ready: () => ready && live() }) : null;

  await control?.start(); // the current settings and model versions before the first request
  status?.start();
  await consumer.connect();
  await consumer.subscribe({ topic: config.inputTopic, fromBeginning: true });
  await runRecovering(consumer, runOptions, recovery);
  log.info(
    {
      event: 'worker-started',
      backend: backend.name,
      model: manifest.model,
      modelVersion: manifest.modelVersion,
      next: config.nextTopic ?? null,
      policy,
      features: featuresDtype,
      batch: { maxSize: config.batchMaxSize, maxWaitMs: batcher.maxWaitMs },
      controlTopic: config.controlTopic,
      inFlight: { records: config.maxInFlightRecords, bytes: config.maxInFlightBytes, produceRequests: config.produceMaxInFlight },
      httpPort: health?.port ?? null,
    },
    `worker ${manifest.layer} started`,
  );

  function stop(): Promise<void> {
    if (!stopping) stopping = shutdown();
    return stopping;
  }

  async function shutdown(): Promise<void> {
    ready = false;
    log.info({ event: 'stopping' }, 'stopping: no new records, finishing in-flight ones');
    try {
      consumer.pause([{ topic: config.inputTopic }]);
    } catch {
      // not running (crashed, or restarting after a crash): nothing is being fetched
    }
    for (const wake of roomWaiters.values()) wake();
    const until = Date.now() + STOP_DRAIN_MS;
    while ((tracker.totalInFlight > abandoned || busy || batcher.size > 0) && Date.now() < until && !crashed) await sleep(10);
    if (commitTimer) clearTimeout(commitTimer);
    await commitNow().catch(() => undefined);
    closed = true;
    if (commitTimer) clearTimeout(commitTimer);
    await consumer.disconnect().catch((e) => log.error({ event: 'consumer-disconnect-failed', err: e }));
    await control?.stop();
    await status?.stop();
    batcher.drain();
    if (timer) clearTimeout(timer);
    clearInterval(stallCheck);
    await producers.disconnectAll();
    await answersAdmin?.disconnect().catch(() => undefined);
    await health?.close();
    models.disposeAll(); // a shared sub-model (deps.subModel) stays with its owner
    log.info({ event: 'stopped', unfinished: tracker.totalInFlight }, 'stopped');
    markDone();
  }

  return {
    layer: manifest.layer,
    manifest,
    backend,
    config,
    metrics,
    httpPort: health?.port ?? null,
    joined,
    done,
    stop,
  };
}
