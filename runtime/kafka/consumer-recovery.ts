/**
 * Keeps a kafkajs consumer consuming through a broker fail-over.
 *
 * kafkajs restarts a crashed consumer only when it deems the error retriable. Some errors that only say "the cluster
 * is moving" are not: `KafkaJSGroupCoordinatorNotFound` while the coordinator's broker is dead and its
 * `__consumer_offsets` partition is being re-led, for one. Such a crash is final in kafkajs (CRASH with
 * `restart: false`), so a worker stopped serving after a broker SIGKILL, and a device stopped reading its answers
 * (found by the broker-kill fault test). Here such a crash is classified, and a transient one is answered by
 * connecting and running the same consumer again, with backoff, until it joins its group; anything else (failed
 * authentication, authorization, a bug) is handed to `onFatal`.
 */
import type { Consumer, ConsumerRunConfig } from 'kafkajs';

/** kafkajs error names that say the cluster is unreachable or in fail-over, not that the request is wrong. */
const TRANSIENT_NAMES = new Set([
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSLockTimeout',
]);

/** Protocol errors that no retry will fix. */
const FATAL_TYPES = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'INVALID_GROUP_ID',
  'INCONSISTENT_GROUP_PROTOCOL',
]);

interface ErrorLike {
  name?: unknown;
  type?: unknown;
  retriable?: unknown;
  cause?: unknown;
}

/** Whether a consumer crash says "try again later": a fail-over or an unreachable broker, never refused access. */
export function isTransientCrash(error: unknown): boolean {
  let transient = false;
  for (let e = error as ErrorLike | undefined, depth = 0; e && typeof e === 'object' && depth < 8; e = e.cause as ErrorLike | undefined, depth++) {
    if (e.name === 'KafkaJSSASLAuthenticationError' || (typeof e.type === 'string' && FATAL_TYPES.has(e.type))) return false;
    if ((typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) || e.retriable === true) transient = true;
  }
  return transient;
}

/** Delay before restart attempt `n` (0-based): 0.5 s doubling to 10 s. */
export function restartDelayMs(attempt: number): number {
  return Math.min(10_000, 500 * 2 ** Math.min(attempt, 5));
}

export interface RecoveryOptions {
  /** true once the owner is stopping: a crash then is left alone */
  stopping: () => boolean;
  /** a restart is scheduled, after `delayMs` */
  onRestart?: (error: unknown, attempt: number, delayMs: number) => void;
  /** the crash is not transient: the owner decides (a worker stops and its process exits non-zero) */
  onFatal: (error: unknown) => void;
}

/**
 * Runs `consumer` with `run` and watches it for crashes kafkajs will not restart from: a transient one connects and
 * runs it again with the same `run` (kafkajs has disconnected it by then); the first run's errors are the caller's.
 */
export async function runRecovering(consumer: Consumer, run: ConsumerRunConfig, opts: RecoveryOptions): Promise<void> {
  let attempt = 0;
  let timer: NodeJS.Timeout | null = null;
  const rerun = async () => {
    await consumer.connect();
    await consumer.run(run);
  };
  consumer.on(consumer.events.GROUP_JOIN, () => {
    attempt = 0;
  });
  const schedule = (error: unknown) => {
    if (timer || opts.stopping()) return;
    const delayMs = restartDelayMs(attempt);
    opts.onRestart?.(error, attempt, delayMs);
    attempt++;
    timer = setTimeout(() => {
      timer = null;
      if (opts.stopping()) return;
      // A failed join inside run() crashes again (and comes back here); a failed connect lands in the catch.
      rerun().catch((e: unknown) => (isTransientCrash(e) ? schedule(e) : opts.onFatal(e)));
    }, delayMs);
    timer.unref?.();
  };
  consumer.on(consumer.events.CRASH, (e) => {
    if (e.payload.restart || opts.stopping()) return; // kafkajs restarts it itself, or we are on our way out
    if (isTransientCrash(e.payload.error)) schedule(e.payload.error);
    else opts.onFatal(e.payload.error);
  });
  await consumer.run(run);
}
