import { DeviceSession, imagesForDevice } from '../../../runtime/devices/session';
import { decodeRequestHeaders, decodeTensor, encodeAnswerHeaders } from '../../../runtime/wire';
import { consumedHeaders } from '../wire/helpers';

const image = { id: 42, label: 3, pixels: new Uint8Array(32 * 32 * 3).fill(9) };
function answerFor(requestId: string, deviceId = 'device-1') {
  return consumedHeaders(
    encodeAnswerHeaders({
      requestId,
      deviceId,
      replyTopic: `replies.${deviceId}`,
      createdAt: 100,
      modelVersion: 'v1',
      hops: [{ layer: 'edge', inAt: 101, outAt: 103, modelMs: 1 }],
      exitLayer: 'edge',
      classIndex: 3,
      topProb: 0.95,
    }),
  );
}

describe('device session', () => {
  test('builds a request: uint8 frame, its reply topic, keyed by a unique request id', () => {
    const s = new DeviceSession('device-1', 'replies.device-1', 'run1');
    const a = s.request(image, 100);
    const b = s.request(image, 101);
    expect(a.requestId).not.toBe(b.requestId);
    expect(a.key).toBe(a.requestId);
    expect(decodeTensor(a.value)).toEqual({ dtype: 'uint8', shape: [32, 32, 3], data: image.pixels });
    expect(decodeRequestHeaders(consumedHeaders(a.headers))).toMatchObject({ requestId: a.requestId, deviceId: 'device-1', replyTopic: 'replies.device-1', createdAt: 100 });
    expect(s.pendingCount).toBe(2);
  });

  test('matches answers by request id, not by arrival order', () => {
    const s = new DeviceSession('device-1', 'replies.device-1', 'run1');
    const first = s.request(image, 100);
    const second = s.request({ ...image, id: 43, label: 5 }, 110);
    const out2 = s.answer(answerFor(second.requestId), 150);
    expect(out2).toMatchObject({ kind: 'answer', record: { imageId: 43, label: 5, predicted: 3, layer: 'edge', responseMs: 40 } });
    const out1 = s.answer(answerFor(first.requestId), 160);
    expect(out1).toMatchObject({ kind: 'answer', record: { imageId: 42, responseMs: 60, topProb: 0.95, modelVersion: 'v1' } });
    expect(s.pendingCount).toBe(0);
  });

  test('drops a second answer to the same request as a duplicate', () => {
    const s = new DeviceSession('device-1', 'replies.device-1', 'run1');
    const r = s.request(image, 100);
    expect(s.answer(answerFor(r.requestId), 120).kind).toBe('answer');
    expect(s.answer(answerFor(r.requestId), 130).kind).toBe('duplicate');
    expect(s.duplicates).toBe(1);
  });

  test("counts another device's answers and unknown ids instead of taking them", () => {
    const s = new DeviceSession('device-1', 'replies.device-1', 'run1');
    const r = s.request(image, 100);
    expect(s.answer(answerFor(r.requestId, 'device-2'), 120)).toEqual({ kind: 'foreign', deviceId: 'device-2' });
    expect(s.answer(answerFor('device-1.old.7'), 120).kind).toBe('unknown');
    expect(s.answer(consumedHeaders({ 'ddnn-version': '1' }), 120).kind).toBe('malformed');
    expect([s.foreign, s.unknown, s.malformed, s.pendingCount]).toEqual([1, 1, 1, 1]);
  });

  test('an expired request is recorded as lost; a late answer then counts as a duplicate', () => {
    const s = new DeviceSession('device-1', 'replies.device-1', 'run1');
    const r = s.request(image, 100);
    expect(s.expire(r.requestId)).toMatchObject({ imageId: 42, answeredAt: null, layer: null, predicted: null });
    expect(s.expire(r.requestId)).toBeNull();
    expect(s.answer(answerFor(r.requestId), 5000).kind).toBe('duplicate');
  });

  test('splits images: every device all of them, or a shard each', () => {
    const ids = [0, 1, 2, 3, 4, 5, 6];
    expect(imagesForDevice(ids, 1, 3, 'shard')).toEqual([1, 4]);
    expect(imagesForDevice(ids, 2, 3, 'same')).toEqual(ids);
    const all = [0, 1, 2].flatMap((i) => imagesForDevice(ids, i, 3, 'shard')).sort();
    expect(all).toEqual(ids);
  });
});
