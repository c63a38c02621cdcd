/**
 * The early-exit worker of one continuum layer. One request path, top to bottom:
 *
 *   consume → decode/accept → batch → predict → decide → encode → produce → commit
 *
 * At-least-once: a record's offset is resolved only after the record it caused (answer, forward or dead
 * letter) is acknowledged by all in-sync replicas, and offsets are committed explicitly (autoCommit off) after
 * each fetched batch, in order, up to the first record not yet acknowledged. A crash or a rebalance therefore
 * replays unacknowledged records; devices drop the duplicate answers by request id.
 */
import { readFileSync } from 'fs';
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import pino, { Logger } from 'pino';
import type { SubModelManifest } from '../../contracts/manifest';
import { BackendInfo, selectBackend } from '../tf/backend';
import { loadSubModel, SubModel } from '../tf/sub-model';
import { epochMs, HEADER, WireError } from '../wire';
import { MicroBatcher } from './batcher';
import { checkConfigAgainstManifest, parseWorkerConfig, remoteSecurity, WorkerConfig, WorkerConfigInput } from './config';
import { startHealthServer, HealthServer } from './http';
import { createAdmin, createConsumer, OutgoingRecord, ProducerPool } from './kafka';
import { createWorkerMetrics, WorkerMetrics } from './metrics';
import { ReplyTopics } from './reply-topics';
import { acceptRequest, InboundRequest, OutboundRecord, routeSample } from './route';

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
  /** Graceful: stop fetching, finish in-flight batches, commit, disconnect. Idempotent. */
  stop(): Promise<void>;
}

export interface WorkerDeps {
  logger?: Logger;
  /** an already-loaded sub-model (the main job shares one between replicas in one process) */
  subModel?: SubModel;
  /** export Node process metrics in /metrics; off when several workers share a process */
  processMetrics?: boolean;
}

/** A dead letter keeps at most this much of the original value, so it always fits the topic's max message size. */
export const DLQ_MAX_VALUE_BYTES = 1024 * 1024;

interface Job {
  request: InboundRequest;
  resolve(): void;
  reject(e: Error): void;
}

export async function startWorker(input: WorkerConfig | WorkerConfigInput, deps: WorkerDeps = {}): Promise<WorkerHandle> {
  const config = parseWorkerConfig(input as Record<string, unknown>);
  const baseLogger = deps.logger ?? pino({ level: config.logLevel, base: { service: 'ddnn-worker' } });
  const backend = await selectBackend(config.backend, baseLogger);
  const model = deps.subModel ?? (await loadSubModel(config.model));
  const { manifest } = model;
  checkConfigAgainstManifest(config, manifest);
  const log = baseLogger.child({ layer: manifest.layer, input: config.inputTopic });
  const metrics = createWorkerMetrics(manifest.layer, { processMetrics: deps.processMetrics });

  // TLS/SASL settings apply to the other clusters this worker writes to (a remote layer over the WAN).
  const security = remoteSecurity(config, (f) => readFileSync(f, 'utf8'));
  const secure = (brokers: readonly string[]) =>
    config.kafkaSecurityScope === 'all' || brokers.join(',') !== config.brokers.join(',') ? security : null;
  const producers = new ProducerPool(config.clientId);
  const home = await producers.get(config.brokers, secure(config.brokers)); // dead letters go back to the input cluster
  const next = config.nextTopic ? await producers.get(config.nextBrokers, secure(config.nextBrokers)) : null;
  const answers = await producers.get(config.answerBrokers, secure(config.answerBrokers));
  const consumer = createConsumer(config.clientId, config.brokers, config.groupId, secure(config.brokers));
  // Answers go to each request's reply topic: check it exists before taking the request (see reply-topics.ts).
  const answersAdmin = config.answerTopic ? null : createAdmin(`${config.clientId}-admin`, config.answerBrokers, secure(config.answerBrokers));
  await answersAdmin?.connect();
  const replyTopics = answersAdmin ? new ReplyTopics(() => answersAdmin.listTopics()) : null;

  const rules = { manifest, answerTopic: config.answerTopic, replyTopicPattern: new RegExp(config.replyTopicPattern) };
  const policy = { criterion: config.exitCriterion, threshold: config.threshold };
  const batcher = new MicroBatcher<Job>({ maxSize: config.batchMaxSize, maxWaitMs: config.batchMaxWaitMs });
  let busy = false;
  let scheduled = false;
  let timer: NodeJS.Timeout | null = null;

  let ready = false;
  let live = true;
  let stopping: Promise<void> | null = null;
  let markJoined!: () => void;
  const joined = new Promise<void>((r) => (markJoined = r));
  let markDone!: () => void;
  const done = new Promise<void>((r) => (markDone = r));

  // ── consume → decode/accept ───────────────────────────────────────────────────────────────────
  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, uncommittedOffsets, isRunning, isStale } = payload;
    // Lag = records behind the high watermark not yet done (fetched-but-unacknowledged included), so a slow layer's
    // backlog shows here even when one fetch took it all; it falls as the batch's records are acknowledged.
    const lagLabels = { topic: batch.topic, partition: String(batch.partition) };
    const behind = (offset: string) => Math.max(0, Number(batch.highWatermark) - Number(offset) - 1);
    metrics.lag.set(lagLabels, batch.isEmpty() ? Number(batch.offsetLag()) : behind(batch.firstOffset()!) + 1);
    const taken: { offset: string; acked: Promise<void> }[] = [];
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break; // stopping or revoked: leave the rest uncommitted for the next owner
      metrics.requests.inc();
      metrics.inFlight.inc();
      const inAt = epochMs();
      let acked: Promise<void>;
      try {
        const request = acceptRequest(message.value, message.headers, rules, inAt);
        if (replyTopics && !(await replyTopics.exists(request.headers.replyTopic))) {
          throw new WireError('unknown-reply-topic', `reply topic "${request.headers.replyTopic}" does not exist on the answers' cluster`);
        }
        acked = submit(request);
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        acked = deadLetter(message, batch.topic, batch.partition, e);
      }
      acked = acked.finally(() => metrics.inFlight.dec());
      acked.catch(() => undefined); // awaited below, in order; this only marks a later rejection as handled
      taken.push({ offset: message.offset, acked });
    }
    // ── commit: in offset order, only what downstream acknowledged ─────────────────────────────
    try {
      for (const t of taken) {
        await t.acked;
        resolveOffset(t.offset);
        metrics.lag.set(lagLabels, behind(t.offset));
        await heartbeat();
      }
    } finally {
      await commitOffsetsIfNecessary(uncommittedOffsets());
    }
  }

  // ── batch ───────────────────────────────────────────────────────────────────────────────────
  function submit(request: InboundRequest): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      batcher.add([{ request, resolve, reject }], epochMs());
      schedule();
    });
  }

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

  // ── predict → decide → encode → produce ────────────────────────────────────────────────────
  async function runBatch(jobs: Job[]): Promise<void> {
    let outputs;
    const t0 = performance.now();
    try {
      outputs = await model.predict(jobs.map((j) => j.request.tensor.data));
    } catch (e) {
      metrics.errors.inc({ stage: 'predict' });
      log.error({ event: 'predict-failed', err: e, batch: jobs.length }, 'predict failed; the batch will be redelivered');
      for (const j of jobs) j.reject(e as Error);
      return;
    }
    const modelMs = performance.now() - t0;
    metrics.batchSize.observe(jobs.length);
    metrics.predictSeconds.observe(modelMs / 1000);

    const outAt = epochMs();
    const ctx = { manifest, policy, nextTopic: config.nextTopic, answerTopic: config.answerTopic, featuresDtype: config.featuresDtype, modelMs, outAt };
    const routed: OutboundRecord[] = jobs.map((j, i) => routeSample(j.request, outputs[i], ctx));
    const toNext = routed.filter((r) => r.destination === 'next');
    const toAnswer = routed.filter((r) => r.destination === 'answer');
    // Not awaited: the next batch's predict overlaps this batch's produce round trip.
    void Promise.all([next ? next.send(toNext) : Promise.resolve(), answers.send(toAnswer)]).then(
      () => {
        const now = epochMs();
        metrics.forwards.inc(toNext.length);
        metrics.answers.inc(toAnswer.length);
        jobs.forEach((j, i) => {
          metrics.hopSeconds.observe((now - j.request.inAt) / 1000);
          if (routed[i].destination === 'answer') metrics.exitLatencySeconds.observe(Math.max(0, now - j.request.headers.createdAt) / 1000);
          j.resolve();
        });
      },
      (e: Error) => {
        metrics.errors.inc({ stage: 'produce' });
        log.error({ event: 'produce-failed', err: e, batch: jobs.length }, 'produce failed; the batch will be redelivered');
        for (const j of jobs) j.reject(e);
      },
    );
  }

  // ── malformed input: dead-letter topic, with the reason, and keep serving ─────────────────────
  async function deadLetter(message: KafkaMessage, topic: string, partition: number, e: WireError): Promise<void> {
    metrics.deadLetters.inc({ reason: e.reason });
    log.warn({ event: 'dead-letter', reason: e.reason, detail: e.message, topic, partition, offset: message.offset }, 'malformed record → dead-letter topic');
    const value = message.value ?? Buffer.alloc(0);
    const cut = value.length > DLQ_MAX_VALUE_BYTES;
    const record: OutgoingRecord = {
      topic: config.dlqTopic,
      key: message.key?.toString('utf8') ?? '',
      value: cut ? value.subarray(0, DLQ_MAX_VALUE_BYTES) : value,
      headers: {
        ...message.headers,
        ...(cut ? { [HEADER.dlqOriginalBytes]: String(value.length) } : {}),
        [HEADER.dlqReason]: e.message.slice(0, 1000),
        [HEADER.dlqLayer]: manifest.layer,
        [HEADER.dlqSource]: `${topic}/${partition}@${message.offset}`,
      },
    };
    await home.send([record]);
  }

  // ── lifecycle ───────────────────────────────────────────────────────────────────────────────
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    ready = true;
    markJoined();
    log.info({ event: 'group-join', groupId: config.groupId, assignment: e.payload.memberAssignment }, 'joined consumer group');
  });
  consumer.on(consumer.events.CRASH, (e) => {
    log.error({ event: 'consumer-crash', err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
    if (!e.payload.restart) {
      live = false;
      ready = false;
      void stop();
    }
  });

  const health: HealthServer | null =
    config.httpPort >= 0 ? await startHealthServer(config.httpPort, metrics.registry, { live: () => live, ready: () => ready }) : null;

  await consumer.connect();
  await consumer.subscribe({ topic: config.inputTopic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: config.partitionsConcurrency,
    eachBatch,
  });
  log.info(
    {
      event: 'worker-started',
      backend: backend.name,
      model: manifest.model,
      modelVersion: manifest.modelVersion,
      next: config.nextTopic ?? null,
      policy,
      batch: { maxSize: config.batchMaxSize, maxWaitMs: config.batchMaxWaitMs },
      httpPort: health?.port ?? null,
    },
    `worker ${manifest.layer} started`,
  );

  function stop(): Promise<void> {
    if (!stopping) stopping = shutdown(consumer, producers, health);
    return stopping;
  }

  async function shutdown(c: Consumer, p: ProducerPool, h: HealthServer | null): Promise<void> {
    ready = false;
    log.info({ event: 'stopping' }, 'stopping: no new fetches, finishing in-flight batches');
    // kafkajs' stop waits for running eachBatch calls, which await their records' acks and commit.
    await c.disconnect().catch((e) => log.error({ event: 'consumer-disconnect-failed', err: e }));
    const left = batcher.drain();
    if (left) for (const j of left) j.reject(new Error('worker stopped'));
    if (timer) clearTimeout(timer);
    await p.disconnectAll();
    await answersAdmin?.disconnect().catch(() => undefined);
    await h?.close();
    if (!deps.subModel) model.dispose();
    log.info({ event: 'stopped' }, 'stopped');
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
