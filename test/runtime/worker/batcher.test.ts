import { MicroBatcher } from '../../../runtime/worker/batcher';

describe('micro-batcher', () => {
  test('closes a batch as soon as it holds maxSize items, keeping arrival order', () => {
    const b = new MicroBatcher<number>({ maxSize: 3, maxWaitMs: 10 });
    expect(b.add([1, 2], 0)).toEqual([]);
    expect(b.add([3, 4, 5, 6, 7], 1)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(b.size).toBe(1);
  });

  test('a partial batch closes when its oldest item has waited maxWaitMs', () => {
    const b = new MicroBatcher<string>({ maxSize: 8, maxWaitMs: 5 });
    b.add(['a'], 100);
    b.add(['b'], 103);
    expect(b.deadline()).toBe(105);
    expect(b.takeDue(104.9)).toBeNull();
    expect(b.takeDue(105)).toEqual(['a', 'b']);
    expect(b.deadline()).toBeNull();
  });

  test('the deadline restarts with the first item after a flush', () => {
    const b = new MicroBatcher<number>({ maxSize: 2, maxWaitMs: 5 });
    b.add([1, 2, 3], 0); // [1,2] full; 3 pending since 0
    expect(b.deadline()).toBe(5);
    b.add([4], 2); // full again
    expect(b.deadline()).toBeNull();
    b.add([5], 50);
    expect(b.deadline()).toBe(55);
  });

  test('maxWaitMs 0 sends whatever arrived together at once', () => {
    const b = new MicroBatcher<number>({ maxSize: 4, maxWaitMs: 0 });
    expect(b.add([1, 2, 3, 4, 5, 6], 0)).toEqual([[1, 2, 3, 4], [5, 6]]);
    expect(b.size).toBe(0);
  });

  test('maxSize 1 disables batching', () => {
    const b = new MicroBatcher<number>({ maxSize: 1, maxWaitMs: 100 });
    expect(b.add([1, 2], 0)).toEqual([[1], [2]]);
  });

  test('drain hands over the pending items on shutdown', () => {
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
