import {
  decodeAnswerHeaders,
  decodeHops,
  decodeRequestHeaders,
  encodeAnswerHeaders,
  encodeHops,
  encodeRequestHeaders,
  HEADER,
  RawHeaders,
  RequestHeaders,
} from '../../../runtime/wire';
import { consumedHeaders, wireErrorReason } from './helpers';

const request: RequestHeaders = {
  requestId: 'dev-1:42:7f3a',
  deviceId: 'dev-1',
  replyTopic: 'ddnn.replies.dev-1',
  createdAt: 1764139200123.456,
  hops: [],
};

describe('request headers', () => {
  test('round-trip through Buffer values, without optional fields', () => {
    const encoded = encodeRequestHeaders(request);
    expect(encoded[HEADER.version]).toBe('1');
    expect(encoded[HEADER.hops]).toBeUndefined();
    expect(decodeRequestHeaders(consumedHeaders(encoded))).toEqual({ ...request, modelVersion: undefined });
  });

  test('round-trip with model version and hops, keeping microsecond timestamps', () => {
    const h: RequestHeaders = {
      ...request,
      modelVersion: 'sha256-abc123',
      hops: [{ layer: 'edge', inAt: 1764139200125.001, outAt: 1764139200131.25, modelMs: 4.5 }],
    };
    expect(decodeRequestHeaders(consumedHeaders(encodeRequestHeaders(h)))).toEqual(h);
  });

  test.each([
    [HEADER.requestId, 'missing-header'],
    [HEADER.deviceId, 'missing-header'],
    [HEADER.replyTopic, 'missing-header'],
    [HEADER.createdAt, 'missing-header'],
    [HEADER.version, 'missing-header'],
  ])('rejects a request without %s', (name, expected) => {
    const h = encodeRequestHeaders(request);
    delete h[name];
    expect(wireErrorReason(() => decodeRequestHeaders(consumedHeaders(h)))).toBe(expected);
  });

  test.each([
    ['an unknown version', HEADER.version, '2', 'unsupported-version'],
    ['a reply topic with illegal characters', HEADER.replyTopic, 'replies/../other', 'bad-header'],
    ['a request id with spaces', HEADER.requestId, 'a b', 'bad-header'],
    ['an empty request id', HEADER.requestId, '', 'bad-header'],
    ['a non-numeric created-at', HEADER.createdAt, 'yesterday', 'bad-header'],
    ['a negative created-at', HEADER.createdAt, '-5', 'bad-header'],
    ['an empty created-at', HEADER.createdAt, ' ', 'bad-header'],
    ['malformed hops', HEADER.hops, 'edge,1,2', 'bad-header'],
  ])('rejects %s', (_name, header, value, expected) => {
    const h = { ...encodeRequestHeaders(request), [header]: value };
    expect(wireErrorReason(() => decodeRequestHeaders(consumedHeaders(h)))).toBe(expected);
  });

  test('rejects a header that appears twice rather than guessing which one counts', () => {
    const raw: RawHeaders = { ...consumedHeaders(encodeRequestHeaders(request)), [HEADER.replyTopic]: [Buffer.from('a'), Buffer.from('b')] };
    expect(wireErrorReason(() => decodeRequestHeaders(raw))).toBe('bad-header');
  });

  test('no headers at all is a missing header, not a crash', () => {
    expect(wireErrorReason(() => decodeRequestHeaders(undefined))).toBe('missing-header');
  });
});

describe('answer headers', () => {
  const answer = {
    ...request,
    modelVersion: 'v1',
    hops: [
      { layer: 'edge', inAt: 10, outAt: 12, modelMs: 1 },
      { layer: 'cloud', inAt: 20, outAt: 25.5, modelMs: 3.25 },
    ],
    exitLayer: 'cloud',
    classIndex: 3,
    topProb: 0.91,
  };

  test('round-trip', () => {
    expect(decodeAnswerHeaders(consumedHeaders(encodeAnswerHeaders(answer)))).toEqual(answer);
  });

  test.each([
    [HEADER.classIndex, '-1'],
    [HEADER.classIndex, '2.5'],
    [HEADER.topProb, '1.2'],
    [HEADER.topProb, 'NaN'],
  ])('rejects %s=%s', (header, value) => {
    const h = { ...encodeAnswerHeaders(answer), [header]: value };
    expect(wireErrorReason(() => decodeAnswerHeaders(consumedHeaders(h)))).toBe('bad-header');
  });

  test('an answer must say which model version produced it', () => {
    const h = encodeAnswerHeaders(answer);
    delete h[HEADER.modelVersion];
    expect(wireErrorReason(() => decodeAnswerHeaders(consumedHeaders(h)))).toBe('missing-header');
  });
});

describe('hops', () => {
  test('encode as layer,in,out,model joined by ;', () => {
    expect(encodeHops([{ layer: 'edge', inAt: 1.5, outAt: 2, modelMs: 0.25 }, { layer: 'cloud', inAt: 3, outAt: 4, modelMs: 0 }])).toBe(
      'edge,1.5,2,0.25;cloud,3,4,0',
    );
    expect(decodeHops('edge,1.5,2,0.25')).toEqual([{ layer: 'edge', inAt: 1.5, outAt: 2, modelMs: 0.25 }]);
  });

  test('refuse layer names that would break the list', () => {
    expect(wireErrorReason(() => encodeHops([{ layer: 'a;b', inAt: 1, outAt: 2, modelMs: 0 }]))).toBe('bad-header');
    expect(wireErrorReason(() => encodeHops([{ layer: 'edge', inAt: NaN, outAt: 2, modelMs: 0 }]))).toBe('bad-header');
  });
});
