import { MicroBatcher } from '../../../runtime/worker/batcher';

describe('micro-batcher', () => {
  test('a free model takes the oldest maxSize items at once, in arrival order', () => {
    const b = new MicroBatcher<number>({ maxSize: 3, maxWaitMs: 10 });
    b.add([1, 2], 0);
    expect(b.take(1)).toBeNull(); // 2 < maxSize and the oldest has waited 1 ms < 10 ms
    b.add([3, 4, 5, 6, 7], 1);
    expect(b.take(1)).toEqual([1, 2, 3]);
    expect(b.take(1)).toEqual([4, 5, 6]);
    expect(b.take(1)).toBeNull();
    expect(b.size).toBe(1);
  });

  test('a partial batch goes once its oldest item has waited maxWaitMs', () => {
    const b = new MicroBatcher<string>({ maxSize: 8, maxWaitMs: 5 });
    b.add(['a'], 100);
    b.add(['b'], 103);
    expect(b.deadline()).toBe(105);
    expect(b.take(104.9)).toBeNull();
    expect(b.take(105)).toEqual(['a', 'b']);
    expect(b.deadline()).toBeNull();
  });

  test('after a full batch leaves, the deadline follows the oldest item still queued', () => {
    const b = new MicroBatcher<number>({ maxSize: 2, maxWaitMs: 5 });
    b.add([1, 2], 0);
    b.add([3], 4);
    expect(b.deadline()).toBe(5);
    expect(b.take(4)).toEqual([1, 2]);
    expect(b.deadline()).toBe(9);
    expect(b.take(8)).toBeNull();
    expect(b.take(9)).toEqual([3]);
  });

  test('maxWaitMs 0: a lone request runs at once, a backlog still fills whole batches', () => {
    const b = new MicroBatcher<number>({ maxSize: 4, maxWaitMs: 0 });
    b.add([1], 0);
    expect(b.take(0)).toEqual([1]);
    b.add([2, 3, 4, 5, 6, 7], 10); // queued while the model was busy
    expect(b.take(20)).toEqual([2, 3, 4, 5]);
    expect(b.take(20)).toEqual([6, 7]);
  });

  test('maxSize 1 disables batching', () => {
    const b = new MicroBatcher<number>({ maxSize: 1, maxWaitMs: 100 });
    b.add([1, 2], 0);
    expect([b.take(0), b.take(0), b.take(0)]).toEqual([[1], [2], null]);
  });

  test('drain hands over everything queued on shutdown', () => {
    const b = new MicroBatcher<number>({ maxSize: 4, maxWaitMs: 1000 });
    expect(b.drain()).toBeNull();
    b.add([1, 2], 0);
    expect(b.drain()).toEqual([1, 2]);
    expect(b.size).toBe(0);
  });

  test('rejects nonsensical limits', () => {
    expect(() => new MicroBatcher({ maxSize: 0, maxWaitMs: 1 })).toThrow(/maxSize/);
    expect(() => new MicroBatcher({ maxSize: 1.5, maxWaitMs: 1 })).toThrow(/maxSize/);
    expect(() => new MicroBatcher({ maxSize: 1, maxWaitMs: -1 })).toThrow(/maxWaitMs/);
  });
});
