/**
 * The kafkajs patches (patches/kafkajs+2.2.4.patch, applied by patch-package on npm install) and the codecs
 * runtime/kafka/codecs.ts registers: a batch the client cannot decode becomes one marker record instead of an error
 * that stops the consumer; headers decode in linear time with upstream's result shape; headers without a value
 * encode; snappy batches decode in both framings Kafka clients write; a consumer follows a broker SIGKILL (a fetch
 * from the dead broker refreshes the metadata, a heartbeat to a dead coordinator re-joins) instead of retrying the
 * dead broker until it crashes; an idempotent producer's concurrent sends never take a sequence number of a batch
 * the leader wrote, so none is acknowledged as a duplicate without being written.
 */
import { CompressionTypes } from 'kafkajs';
import { compressSync } from 'snappy';
import { snappyDecompress } from '../../runtime/kafka/codecs';
import { setTimeout as sleep } from 'timers/promises';

/* eslint-disable @typescript-eslint/no-require-imports */
const Decoder = require('kafkajs/src/protocol/decoder');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const Long = require('kafkajs/src/utils/long');
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup');
const errors = require('kafkajs/src/errors');
const createEosManager = require('kafkajs/src/producer/eosManager');
const createMessageProducer = require('kafkajs/src/producer/messageProducer');
const createRetry = require('kafkajs/src/retry');
/* eslint-enable @typescript-eslint/no-require-imports */

type Decoded = { records: { offset: string; key: Buffer | null; value: Buffer | null; headers: Record<string, unknown>; undecodable?: { reason: string; firstOffset: string; lastOffset: string } }[] };

async function batchOf(records: object[], compression: number, firstOffset = 100): Promise<Buffer> {
  const encoder: { buffer: Buffer } = await RecordBatch({
    compression,
    firstOffset: Long.fromInt(firstOffset),
    lastOffsetDelta: records.length - 1,
    records: records.map((r, i) => Record({ offsetDelta: i, ...r })),
  });
  return encoder.buffer;
}

const decode = (bytes: Buffer): Promise<Decoded> => decodeRecordBatch(new Decoder(bytes));

describe('kafkajs patches', () => {
  test('a batch whose compressed payload is corrupt becomes one marker record at its last offset', async () => {
    const bytes = await batchOf([{ value: Buffer.from('a') }, { value: Buffer.from('b') }, { value: Buffer.from('c') }], CompressionTypes.GZIP, 100);
    bytes.fill(0x55, bytes.length - 12); // the tail of the gzip stream
    const out = await decode(bytes);
    expect(out.records).toHaveLength(1);
    expect(out.records[0].offset).toBe('102');
    expect(out.records[0].undecodable).toMatchObject({ firstOffset: '100', lastOffset: '102' });
    expect(out.records[0].undecodable!.reason).toMatch(/\w/);
    expect(out.records[0].value!.length).toBeGreaterThan(0);
  });

  test('a good batch still decodes as before', async () => {
    const out = await decode(await batchOf([{ key: 'k', value: Buffer.from('v') }], CompressionTypes.ZSTD, 7));
    expect(out.records.map((r) => [r.offset, r.key?.toString(), r.value?.toString(), r.undecodable])).toEqual([['7', 'k', 'v', undefined]]);
  });

  test('headers: repeated names become arrays, null values stay null, "__proto__" and "constructor" are ordinary names', async () => {
    const headers = { a: ['1', '2', '3'], n: null as unknown as string, constructor: 'c' };
    const raw = JSON.parse('{"__proto__": "p"}');
    const out = await decode(await batchOf([{ value: Buffer.from('v'), headers: { ...headers, ...raw } }], CompressionTypes.None));
    const h = out.records[0].headers;
    expect(h.a).toEqual([Buffer.from('1'), Buffer.from('2'), Buffer.from('3')]);
    expect(h.n).toBeNull();
    expect(h.constructor).toEqual(Buffer.from('c'));
    expect(Object.prototype.hasOwnProperty.call(h, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(h)).toBe(Object.prototype);
  });

  test('10,000 distinct headers decode to 10,000 keys (linear: upstream copied the object per header)', async () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) headers[`h${i}`] = 'v';
    const out = await decode(await batchOf([{ value: Buffer.from('v'), headers }], CompressionTypes.None));
    expect(Object.keys(out.records[0].headers)).toHaveLength(10_000);
  });

  test('a header without a value encodes (upstream threw a TypeError computing its size)', () => {
    const encoded: { buffer: Buffer } = Record({ value: Buffer.from('v'), headers: { empty: null } });
    expect(encoded.buffer.length).toBeGreaterThan(0);
  });
});

/** A consumer group bound to a cluster whose killed broker refuses connections. */
function groupWithDeadBroker() {
  const refused = () => Object.assign(new errors.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  const cluster = { refreshMetadata: jest.fn(async () => undefined) };
  const logger = { namespace: () => logger, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const group = new ConsumerGroup({ cluster, groupId: 'g', topics: [], topicConfigurations: {}, logger, instrumentationEmitter: { emit: () => undefined }, retry: {} });
  return { group, cluster, refused };
}

describe('kafkajs patches: a broker SIGKILL', () => {
  test('a fetch from a broker that refuses connections refreshes the metadata instead of failing (upstream threw)', async () => {
    const { group, cluster, refused } = groupWithDeadBroker();
    await expect(group.recoverFromFetch(refused())).resolves.toBeUndefined();
    await expect(group.recoverFromFetch(new errors.KafkaJSNonRetriableError(refused(), { cause: refused() }))).resolves.toBeUndefined();
    expect(cluster.refreshMetadata).toHaveBeenCalledTimes(2);
    await expect(group.recoverFromFetch(new TypeError('a bug'))).rejects.toThrow('a bug'); // anything else still fails
  });

  test('a heartbeat to a coordinator that refuses connections is a rebalance, so the group re-joins (upstream retried it until the consumer crashed)', async () => {
    const { group, refused } = groupWithDeadBroker();
    Object.assign(group, { memberId: 'm', generationId: 1, lastRequest: 0, coordinator: { heartbeat: async () => Promise.reject(refused()) } });
    const err = await group.heartbeat({ interval: 0 }).catch((e: unknown) => e);
    expect(errors.isRebalancing(err)).toBe(true);
    group.coordinator = { heartbeat: async () => Promise.reject(new errors.KafkaJSProtocolError({ type: 'UNKNOWN_MEMBER_ID', code: 25, retriable: false, message: 'x' })) };
    const other = await group.heartbeat({ interval: 0 }).catch((e: unknown) => e);
    expect((other as { type: string }).type).toBe('UNKNOWN_MEMBER_ID'); // other errors pass through unchanged
  });
});

/**
 * A partition leader with Kafka's idempotence rules: a batch is keyed by (producer id, first sequence); one already
 * written is acknowledged again with its first offset and not written twice; a gap in the sequence is refused.
 * `failAfterWrite` requests are written and then answered with a retriable timeout, as a leader does when the
 * followers do not acknowledge in time (a broker is down) or as the client sees when the response is lost.
 */
function idempotentLeader(failAfterWrite: number) {
  const log: { pid: number; seq: number; value: string }[] = [];
  let failures = 0;
  const broker = {
    nodeId: 1,
    initProducerId: async () => ({ producerId: broker.nextPid++, producerEpoch: 0 }),
    nextPid: 1,
    produce: async ({ producerId, topicData }: { producerId: number; topicData: { topic: string; partitions: { partition: number; firstSequence: number; messages: { value: string }[] }[] }[] }) => {
      const { topic, partitions } = topicData[0];
      const { partition, firstSequence, messages } = partitions[0];
      const mine = log.filter((r) => r.pid === producerId);
      let baseOffset = log.findIndex((r) => r.pid === producerId && r.seq === firstSequence);
      if (baseOffset < 0) {
        const next = mine.length === 0 ? 0 : mine[mine.length - 1].seq + 1;
        if (firstSequence !== next) throw new errors.KafkaJSProtocolError({ type: 'OUT_OF_ORDER_SEQUENCE_NUMBER', code: 45, retriable: false, message: 'gap' });
        baseOffset = log.length;
        messages.forEach((m, i) => log.push({ pid: producerId, seq: firstSequence + i, value: String(m.value) }));
        await sleep(20); // the next send queues up meanwhile
        if (failures++ < failAfterWrite) throw new errors.KafkaJSProtocolError({ type: 'REQUEST_TIMED_OUT', code: 7, retriable: true, message: 'timed out' });
      }
      return { topics: [{ topicName: topic, partitions: [{ partition, errorCode: 0, baseOffset: String(baseOffset) }] }] };
    },
  };
  const logger = { namespace: () => logger, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const cluster = {
    retry: { retries: 5, initialRetryTime: 10 },
    refreshMetadataIfNecessary: async () => undefined,
    refreshMetadata: async () => undefined,
    addMultipleTargetTopics: async () => undefined,
    isConnected: () => true,
    removeBroker: () => undefined,
    findControllerBroker: async () => broker,
    findBroker: async () => broker,
    findTopicPartitionMetadata: () => [{ partitionId: 0, leader: 1 }],
    findLeaderForPartitions: () => ({ 1: [0] }),
  };
  return { log, broker, logger, cluster };
}

async function idempotentProducer(failAfterWrite: number, retries: number) {
  const leader = idempotentLeader(failAfterWrite);
  const eosManager = createEosManager({ logger: leader.logger, cluster: leader.cluster, transactional: false });
  await eosManager.initProducerId();
  const producer = createMessageProducer({
    logger: leader.logger,
    cluster: leader.cluster,
    partitioner: () => 0,
    eosManager,
    idempotent: true,
    retrier: createRetry({ retries, initialRetryTime: 10, maxRetryTime: 20 }),
    getConnectionStatus: () => 'connected',
  });
  const send = (value: string) => producer.send({ topic: 't', acks: -1, messages: [{ value }] });
  return { ...leader, send };
}

describe('kafkajs patches: the idempotent producer never acknowledges a message it did not write', () => {
  test('a send queued behind a request that was written but answered with a timeout is written too (upstream gave it the same sequence: acknowledged as a duplicate, lost)', async () => {
    const p = await idempotentProducer(1, 5);
    await Promise.all([p.send('a'), p.send('b')]);
    expect(p.log.map((r) => r.value).sort()).toEqual(['a', 'b']);
  });

  test('after a send that failed for good with an unknown outcome, the next send is written under a new producer id (upstream reused the sequence)', async () => {
    const p = await idempotentProducer(1, 0);
    await expect(p.send('a')).rejects.toThrow('timed out');
    await p.send('b');
    expect(p.log.map((r) => [r.value, r.pid])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });
});

describe('snappy framings', () => {
  const payload = Buffer.from('the same bytes '.repeat(500));
  test('librdkafka: one raw snappy block', () => {
    expect(snappyDecompress(compressSync(payload) as Buffer)).toEqual(payload);
  });
  test('Java: xerial header, then length-prefixed blocks', () => {
    const blocks = [payload.subarray(0, 3000), payload.subarray(3000)].map((p) => compressSync(p) as Buffer);
    const header = Buffer.concat([Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]), Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])]);
    const framed = Buffer.concat([header, ...blocks.flatMap((b) => [int32be(b.length), b])]);
    expect(snappyDecompress(framed)).toEqual(payload);
    expect(() => snappyDecompress(framed.subarray(0, framed.length - 5))).toThrow(/overruns/);
  });
});

function int32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
