/**
 * Consumer crash recovery (runtime/kafka/consumer-recovery.ts): which crashes are transient, and that a consumer
 * kafkajs gave up on is connected and run again (same run config) with backoff until it joins, while a fatal crash
 * or a stopping owner is left alone. The consumer here is an event emitter standing in for kafkajs' instrumentation
 * events (no broker: pure policy).
 */
import { EventEmitter } from 'events';
import type { Consumer, ConsumerRunConfig } from 'kafkajs';
import { isTransientCrash, restartDelayMs, runRecovering } from '../../runtime/kafka/consumer-recovery';

/* eslint-disable @typescript-eslint/no-require-imports */
const errors = require('kafkajs/src/errors');
/* eslint-enable @typescript-eslint/no-require-imports */

describe('isTransientCrash', () => {
  test('a coordinator not found and exhausted retries of a refused connection are transient', () => {
    expect(isTransientCrash(new errors.KafkaJSGroupCoordinatorNotFound('Failed to find group coordinator'))).toBe(true);
    const refused = new errors.KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:1');
    expect(isTransientCrash(new errors.KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 10, retryTime: 5000 }))).toBe(true);
  });

  test('failed authentication or authorization is fatal, however it is wrapped', () => {
    expect(isTransientCrash(new errors.KafkaJSSASLAuthenticationError('SASL SCRAM SHA512 authentication failed'))).toBe(false);
    const denied = new errors.KafkaJSProtocolError({ type: 'GROUP_AUTHORIZATION_FAILED', code: 30, retriable: false, message: 'Not authorized' });
    expect(isTransientCrash(new errors.KafkaJSNumberOfRetriesExceeded(denied, { retryCount: 1, retryTime: 1 }))).toBe(false);
  });

  test('a bug is not transient', () => {
    expect(isTransientCrash(new TypeError('x is not a function'))).toBe(false);
    expect(isTransientCrash(undefined)).toBe(false);
  });
});

class FakeConsumer extends EventEmitter {
  readonly events = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' };
  /** connect() calls (each rerun starts with one), and the config of every run() */
  readonly connects: number[] = [];
  readonly runs: ConsumerRunConfig[] = [];
  failConnects = 0;
  async connect(): Promise<void> {
    this.connects.push(Date.now());
    if (this.failConnects-- > 0) throw new errors.KafkaJSConnectionError('connect ECONNREFUSED');
  }
  async run(config: ConsumerRunConfig): Promise<void> {
    this.runs.push(config);
  }
  crash(error: unknown, restart: boolean): void {
    this.emit(this.events.CRASH, { payload: { error, restart, groupId: 'g' } });
  }
}

describe('runRecovering', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const config: ConsumerRunConfig = { autoCommit: false, eachMessage: async () => undefined };

  async function setUp(opts: { rerunFails?: number } = {}) {
    const consumer = new FakeConsumer();
    consumer.failConnects = opts.rerunFails ?? 0;
    let stopping = false;
    const fatal: unknown[] = [];
    const delays: number[] = [];
    await runRecovering(consumer as unknown as Consumer, config, {
      stopping: () => stopping,
      onRestart: (_e, _attempt, delayMs) => delays.push(delayMs),
      onFatal: (e) => fatal.push(e),
    });
    expect(consumer.runs).toEqual([config]); // the first run is runRecovering's own
    return { consumer, reruns: consumer.connects, fatal, delays, stop: () => (stopping = true) };
  }

  test('a transient crash kafkajs will not restart from is run again after the backoff', async () => {
    const s = await setUp();
    s.consumer.crash(new errors.KafkaJSGroupCoordinatorNotFound('no coordinator'), false);
    expect(s.reruns).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(restartDelayMs(0));
    expect(s.reruns).toHaveLength(1);
    expect(s.consumer.runs).toEqual([config, config]); // connected, then run with the same config
    expect(s.fatal).toHaveLength(0);
  });

  test('a crash kafkajs restarts itself is left to kafkajs', async () => {
    const s = await setUp();
    s.consumer.crash(new errors.KafkaJSNumberOfRetriesExceeded(new Error('x'), { retryCount: 1, retryTime: 1 }), true);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(s.reruns).toHaveLength(0);
  });

  test('failed reruns back off (doubling) and a group join resets the backoff', async () => {
    const s = await setUp({ rerunFails: 3 });
    s.consumer.crash(new errors.KafkaJSGroupCoordinatorNotFound('no coordinator'), false);
    await jest.advanceTimersByTimeAsync(restartDelayMs(0) + restartDelayMs(1) + restartDelayMs(2) + restartDelayMs(3));
    expect(s.reruns).toHaveLength(4);
    expect(s.delays).toEqual([500, 1000, 2000, 4000]);
    s.consumer.emit(s.consumer.events.GROUP_JOIN, {});
    s.consumer.crash(new errors.KafkaJSGroupCoordinatorNotFound('no coordinator'), false);
    await jest.advanceTimersByTimeAsync(restartDelayMs(0));
    expect(s.reruns).toHaveLength(5);
    expect(s.delays[4]).toBe(500);
  });

  test('a fatal crash goes to onFatal and is not rerun; a stopping owner is left alone', async () => {
    const s = await setUp();
    const denied = new errors.KafkaJSSASLAuthenticationError('authentication failed');
    s.consumer.crash(denied, false);
    expect(s.fatal).toEqual([denied]);
    s.stop();
    s.consumer.crash(new errors.KafkaJSGroupCoordinatorNotFound('no coordinator'), false);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(s.reruns).toHaveLength(0);
    expect(s.fatal).toHaveLength(1);
  });
});
