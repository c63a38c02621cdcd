import { HEADER } from '../../../runtime/wire';
import { appendHeaders, deadLetter, headerBytes } from '../../../runtime/worker/dead-letter';

const ctx = { dlqTopic: 'in.dlq', layer: 'edge', topic: 'in', partition: 2, maxBytes: 64 * 1024 };

describe('dead letters', () => {
  test('keep a null key, a null value and header bytes exactly as they came', () => {
    const raw = { key: null, value: null, headers: { a: Buffer.from([0xff, 0xfe]), empty: null, twice: [Buffer.from('1'), null] }, offset: '41' };
    const d = deadLetter(raw, 'missing-header', 'header ddnn-version is missing', ctx);
    expect(d.key).toBeNull();
    expect(d.value).toBeNull();
    expect(d.headers.a).toEqual(Buffer.from([0xff, 0xfe]));
    expect(d.headers.empty).toBeNull();
    expect(d.headers.twice).toEqual([Buffer.from('1'), null]);
    expect(d.headers[HEADER.dlqReason]).toBe('missing-header: header ddnn-version is missing');
    expect(d.headers[HEADER.dlqSource]).toBe('in/2@41');
    expect(d.headers[HEADER.dlqLayer]).toBe('edge');
  });

  test('an invalid-UTF-8 key stays the same bytes', () => {
    const key = Buffer.from([0xc3, 0x28, 0x00]);
    expect(deadLetter({ key, value: Buffer.from('x'), headers: {}, offset: '0' }, 'bad-magic', '', ctx).key).toBe(key);
  });

  test("a forged reason header keeps its value; ours comes after it (lastHeader semantics)", () => {
    const d = deadLetter({ key: null, value: null, headers: { [HEADER.dlqReason]: Buffer.from('forged') }, offset: '1' }, 'bad-magic', 'x', ctx);
    expect(d.headers[HEADER.dlqReason]).toEqual([Buffer.from('forged'), 'bad-magic: x']);
  });

  test('a "__proto__" header stays an ordinary header', () => {
    const headers = JSON.parse('{"__proto__": "p"}');
    const out = appendHeaders(headers, { x: 'y' });
    expect(Object.keys(out)).toEqual(['__proto__', 'x']);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  test('an undecodable batch names its offset range', () => {
    expect(deadLetter({ key: null, value: Buffer.from('zz'), headers: {}, offset: '10' }, 'undecodable-batch', 'zstd', { ...ctx, lastOffset: '19' }).headers[HEADER.dlqSource]).toBe('in/2@10-19');
  });

  test('over the budget the value is cut first, then the headers are dropped, with the original sizes recorded', () => {
    const small = { ...ctx, maxBytes: 4096 };
    const cut = deadLetter({ key: null, value: Buffer.alloc(10_000), headers: { h: 'v' }, offset: '0' }, 'bad-magic', '', small);
    expect(cut.value!.length).toBeLessThan(4096);
    expect(cut.headers[HEADER.dlqOriginalBytes]).toBe('10000');
    expect(cut.headers.h).toBe('v');
    const headers: Record<string, Buffer> = {};
    for (let i = 0; i < 10_000; i++) headers[`h${i}`] = Buffer.from('v');
    const dropped = deadLetter({ key: Buffer.from('k'), value: Buffer.alloc(10), headers, offset: '0' }, 'too-many-headers', '', small);
    expect(Object.keys(dropped.headers).filter((k) => k.startsWith('h'))).toEqual([]);
    expect(dropped.headers[HEADER.dlqOriginalHeaders]).toBe(`10000 headers, ${headerBytes(headers).bytes} bytes`);
    expect(dropped.value).toEqual(Buffer.alloc(10));
  });
});
