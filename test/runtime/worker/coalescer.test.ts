import { SendCoalescer } from '../../../runtime/worker/coalescer';

/** A fake transport whose requests complete when the test says so. */
function transport() {
  const requests: { items: number[]; done(): void; fail(e: Error): void }[] = [];
  const sendNow = (items: number[]) =>
    new Promise<void>((resolve, reject) => requests.push({ items, done: resolve, fail: reject }));
  return { requests, sendNow };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('send coalescer', () => {
  test('an idle producer sends at once; groups handed over meanwhile leave together in the next request', async () => {
    const t = transport();
    const c = new SendCoalescer<number, void>(t.sendNow, () => 1, 100, 1, () => undefined);
    const settled: string[] = [];
    const a = c.send([1, 2]).then(() => settled.push('a'));
    const b = c.send([3]).then(() => settled.push('b'));
    const d = c.send([4, 5]).then(() => settled.push('d'));
    expect(t.requests.map((r) => r.items)).toEqual([[1, 2]]);
    t.requests[0].done();
    await a;
    await tick();
    expect(t.requests.map((r) => r.items)).toEqual([[1, 2], [3, 4, 5]]);
    expect(settled).toEqual(['a']);
    t.requests[1].done();
    await Promise.all([b, d]);
    expect(settled).toEqual(['a', 'b', 'd']);
  });

  test('a request carries at most maxBytes, but always at least one whole group', async () => {
    const t = transport();
    const c = new SendCoalescer<number, void>(t.sendNow, (n) => n, 10, 1, () => undefined);
    void c.send([1]);
    void c.send([4, 4]); // 8
    void c.send([3]); // 8 + 3 > 10: next request
    void c.send([20]); // alone, over the limit
    t.requests[0].done();
    await tick();
    t.requests[1].done();
    await tick();
    t.requests[2].done();
    await tick();
    expect(t.requests.map((r) => r.items)).toEqual([[1], [4, 4], [3], [20]]);
  });

  test("a failed request rejects exactly its callers' promises and the next request still goes", async () => {
    const t = transport();
    const c = new SendCoalescer<number, void>(t.sendNow, () => 1, 100, 1, () => undefined);
    const first = c.send([1]);
    const second = c.send([2]);
    t.requests[0].fail(new Error('broker down'));
    await expect(first).rejects.toThrow('broker down');
    await tick();
    expect(t.requests[1].items).toEqual([2]);
    t.requests[1].done();
    await expect(second).resolves.toBeUndefined();
    expect(c.waiting).toBe(0);
  });

  test('nothing to send resolves without a request', async () => {
    const t = transport();
    await new SendCoalescer<number, void>(t.sendNow, () => 1, 10, 1, () => undefined).send([]);
    expect(t.requests).toHaveLength(0);
  });

  test('with maxInFlight 3, three requests leave at once and the fourth group waits for a free slot', async () => {
    const t = transport();
    const c = new SendCoalescer<number, void>(t.sendNow, () => 1, 100, 3, () => undefined);
    const sent = [c.send([1]), c.send([2]), c.send([3]), c.send([4]), c.send([5])];
    expect(t.requests.map((r) => r.items)).toEqual([[1], [2], [3]]);
    expect(c.outstanding).toBe(3);
    expect(c.waiting).toBe(2);
    t.requests[1].done(); // out of order: any free slot takes the waiting groups
    await sent[1];
    await tick();
    expect(t.requests.map((r) => r.items)).toEqual([[1], [2], [3], [4, 5]]);
    t.requests[0].done();
    t.requests[2].done();
    t.requests[3].done();
    await Promise.all(sent);
    expect(c.outstanding).toBe(0);
  });
});
