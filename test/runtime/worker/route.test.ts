import type { SubModelManifest } from '../../../models/manifest';
import { acceptRequest, AcceptRules, routeSample, RouteContext, screenRecord } from '../../../runtime/worker/route';
import { CREATED_AT_WINDOW, decodeAnswerHeaders, decodeRequestHeaders, decodeTensor, encodeRequestHeaders, encodeTensor, HEADER } from '../../../runtime/wire';
import { DEFAULT_REPLY_TOPIC_PATTERN } from '../../../runtime/worker/config';
import { consumedHeaders, wireErrorReason } from '../wire/helpers';

const edge: SubModelManifest = {
  formatVersion: 1,
  model: 'tiny',
  modelVersion: 'v7',
  layer: 'edge',
  index: 0,
  input: { shape: [2, 2, 3], dtype: 'uint8', scale: 1 / 255 },
  outputs: [
    { role: 'features', name: 'f', shape: [2, 2] },
    { role: 'exit', name: 'e', classes: 3 },
  ],
  next: 'cloud',
  modelFile: 'model.json',
};
const cloud: SubModelManifest = { ...edge, layer: 'cloud', index: 1, input: { shape: [2, 2], dtype: 'float32', scale: 1 }, outputs: [{ role: 'exit', name: 'e', classes: 3 }], next: null };
const rules: AcceptRules = {
  manifest: edge,
  replyTopicPattern: new RegExp(DEFAULT_REPLY_TOPIC_PATTERN),
  forbiddenReplyTopics: new Set(['edge-in', 'edge-in.dlq', 'cloud-in']),
  maxHeaders: 16,
  maxHeaderBytes: 4096,
};
const meta = { requestId: 'r-1', deviceId: 'dev-1', replyTopic: 'ddnn.replies.dev-1', createdAt: 1000, hops: [] };

const image = encodeTensor(new Uint8Array(12).fill(200), [2, 2, 3], 'uint8');

describe('accepting a request', () => {
  test('a well-formed image for the first layer', () => {
    const req = acceptRequest(image, consumedHeaders(encodeRequestHeaders(meta)), rules, 1005);
    expect(req.headers.requestId).toBe('r-1');
    expect(req.tensor.shape).toEqual([2, 2, 3]);
    expect(req.inAt).toBe(1005);
  });

  test.each([
    ['wrong shape', encodeTensor(new Uint8Array(12), [3, 2, 2], 'uint8'), meta, 'wrong-input'],
    ['float pixels for a uint8 input', encodeTensor(new Float32Array(12), [2, 2, 3], 'float32'), meta, 'wrong-input'],
    ['garbage bytes', Buffer.from('hello'), meta, 'bad-magic'],
    ['a reply topic outside the allowed pattern', image, { ...meta, replyTopic: 'ddnn.edge.in' }, 'reply-topic-not-allowed'],
    ['an internal topic as reply topic', image, { ...meta, replyTopic: '__consumer_offsets' }, 'reply-topic-not-allowed'],
    ['an internal topic that matches the pattern', image, { ...meta, replyTopic: '__x.replies.y' }, 'reply-topic-not-allowed'],
    ["this layer's input topic as reply topic", image, { ...meta, replyTopic: 'edge-in' }, 'reply-topic-not-allowed'],
    ['a dead-letter topic that matches the pattern', image, { ...meta, replyTopic: 'ddnn.replies.x.dlq' }, 'reply-topic-not-allowed'],
  ])('rejects %s', (_n, value, headers, expected) => {
    expect(wireErrorReason(() => acceptRequest(value, consumedHeaders(encodeRequestHeaders(headers)), rules, 0))).toBe(expected);
  });

  test('a fixed answer topic makes the reply-topic pattern irrelevant', () => {
    const h = consumedHeaders(encodeRequestHeaders({ ...meta, replyTopic: 'anything' }));
    expect(() => acceptRequest(image, h, { ...rules, answerTopic: 'answers' }, 0)).not.toThrow();
  });

  test('a later layer accepts float16 or float32 features of its own model version only', () => {
    const cloudRules = { ...rules, manifest: cloud };
    const f16 = encodeTensor(Float32Array.from([1, 2, 3, 4]), [2, 2], 'float16');
    expect(acceptRequest(f16, consumedHeaders(encodeRequestHeaders({ ...meta, modelVersion: 'v7' })), cloudRules, 0).tensor.data).toEqual(Float32Array.from([1, 2, 3, 4]));
    expect(wireErrorReason(() => acceptRequest(f16, consumedHeaders(encodeRequestHeaders({ ...meta, modelVersion: 'v6' })), cloudRules, 0))).toBe('model-version-mismatch');
    expect(wireErrorReason(() => acceptRequest(f16, consumedHeaders(encodeRequestHeaders(meta)), cloudRules, 0))).toBe('model-version-mismatch');
    expect(wireErrorReason(() => acceptRequest(image, consumedHeaders(encodeRequestHeaders({ ...meta, modelVersion: 'v7' })), cloudRules, 0))).toBe('wrong-input');
  });
});

describe('screening before decoding', () => {
  const headers = (n: number, size = 1) => {
    const h: Record<string, Buffer | null> = {};
    for (let i = 0; i < n; i++) h[`x-${i}`] = i % 2 ? null : Buffer.alloc(size);
    return h;
  };
  test('a record with more headers than allowed is refused before any header is parsed', () => {
    expect(wireErrorReason(() => screenRecord(headers(17), rules))).toBe('too-many-headers');
    expect(() => screenRecord(headers(16), rules)).not.toThrow();
  });
  test('headers over the byte budget are refused; null header values count as empty', () => {
    expect(wireErrorReason(() => screenRecord(headers(2, 5000), rules))).toBe('headers-too-large');
    expect(() => screenRecord(headers(16, 100), rules)).not.toThrow();
  });
  test('acceptRequest screens first: a flood of headers with a good image is still refused', () => {
    const h = { ...consumedHeaders(encodeRequestHeaders(meta)), ...headers(20) };
    expect(wireErrorReason(() => acceptRequest(image, h, rules, 1005))).toBe('too-many-headers');
  });
});

describe('created-at', () => {
  const now = 1_800_000_000_000;
  const at = (createdAt: string) => {
    const h = consumedHeaders(encodeRequestHeaders({ ...meta, createdAt: now }));
    h[HEADER.createdAt] = Buffer.from(createdAt);
    return () => acceptRequest(image, h, rules, now);
  };
  test.each(['0', '0x10', '-5', '1e12', ' 17', '', 'NaN'])('"%s" is not a positive decimal: dead letter', (v) => {
    expect(wireErrorReason(at(v))).toBe('bad-header');
  });
  test('inside the window of the worker clock is accepted, with a fraction', () => {
    expect(at(String(now - 3_600_000 + 0.25))().headers.createdAt).toBe(now - 3_600_000 + 0.25);
    expect(at(String(now + CREATED_AT_WINDOW.maxFutureMs - 1))().headers.createdAt).toBe(now + CREATED_AT_WINDOW.maxFutureMs - 1);
  });
  test('too far in the future or older than the window is refused', () => {
    expect(wireErrorReason(at(String(now + CREATED_AT_WINDOW.maxFutureMs + 1)))).toBe('bad-header');
    expect(wireErrorReason(at(String(now - CREATED_AT_WINDOW.maxAgeMs - 1)))).toBe('bad-header');
  });
});

describe('routing one sample', () => {
  const req = acceptRequest(image, consumedHeaders(encodeRequestHeaders({ ...meta, hops: [] })), rules, 1005);
  const ctx: RouteContext = { manifest: edge, policy: { criterion: 'max-prob', threshold: 0.8 }, nextTopic: 'cloud-in', featuresDtype: 'float32', batchWaitMs: 0, modelMs: 2.5, outAt: 1010 };
  const features = Float32Array.from([0.5, 1.5, 2.5, 3.5]);

  test('a confident exit answers the device on its reply topic, keyed by request id', () => {
    const out = routeSample(req, { exit: Float32Array.from([0.05, 0.9, 0.05]), features }, ctx);
    expect(out.destination).toBe('answer');
    expect(out.topic).toBe('ddnn.replies.dev-1');
    expect(out.key).toBe('r-1');
    const h = decodeAnswerHeaders(consumedHeaders(out.headers));
    expect(h).toMatchObject({ requestId: 'r-1', deviceId: 'dev-1', exitLayer: 'edge', classIndex: 1, modelVersion: 'v7' });
    // the answer records the settings that produced it
    expect(h.settings).toEqual([{ layer: 'edge', threshold: 0.8, features: 'float32', batchWaitMs: 0 }]);
    expect(h.topProb).toBeCloseTo(0.9, 6);
    expect(h.hops).toEqual([{ layer: 'edge', inAt: 1005, outAt: 1010, modelMs: 2.5 }]);
    expect(Array.from(decodeTensor(out.value).data)).toEqual(Array.from(Float32Array.from([0.05, 0.9, 0.05])));
  });

  test('an unsure exit forwards the features with the model version and the hop appended', () => {
    const out = routeSample(req, { exit: Float32Array.from([0.4, 0.3, 0.3]), features }, { ...ctx, featuresDtype: 'float16' });
    expect(out).toMatchObject({ destination: 'next', topic: 'cloud-in', key: 'r-1' });
    const t = decodeTensor(out.value);
    expect(t).toEqual({ dtype: 'float16', shape: [2, 2], data: features });
    const h = decodeRequestHeaders(consumedHeaders(out.headers));
    expect(h.modelVersion).toBe('v7');
    expect(h.replyTopic).toBe('ddnn.replies.dev-1');
    expect(h.hops.map((x) => x.layer)).toEqual(['edge']);
  });

  test('a fixed answer topic overrides the reply topic', () => {
    const out = routeSample(req, { exit: Float32Array.from([0, 1, 0]), features }, { ...ctx, answerTopic: 'all-answers' });
    expect(out.topic).toBe('all-answers');
  });

  test('the last layer always answers, however unsure', () => {
    const fwd = acceptRequest(encodeTensor(features, [2, 2], 'float32'), consumedHeaders(encodeRequestHeaders({ ...meta, modelVersion: 'v7', hops: [{ layer: 'edge', inAt: 1, outAt: 2, modelMs: 1 }] })), { ...rules, manifest: cloud }, 20);
    const out = routeSample(fwd, { exit: Float32Array.from([0.34, 0.33, 0.33]) }, { ...ctx, manifest: cloud, nextTopic: undefined });
    expect(out.destination).toBe('answer');
    const h = decodeAnswerHeaders(consumedHeaders(out.headers));
    expect(h.exitLayer).toBe('cloud');
    expect(h.hops.map((x) => x.layer)).toEqual(['edge', 'cloud']);
  });

  test('a layer without an exit always forwards', () => {
    const noExit: SubModelManifest = { ...edge, outputs: [{ role: 'features', name: 'f', shape: [2, 2] }] };
    expect(routeSample(req, { features }, { ...ctx, manifest: noExit }).destination).toBe('next');
  });
});
