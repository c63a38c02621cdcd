import { ReplyTopics } from '../../../runtime/worker/reply-topics';

function cluster(topics: string[]) {
  const state = { calls: 0, fail: false };
  const list = async () => {
    state.calls++;
    if (state.fail) throw new Error('broker down');
    return [...topics];
  };
  return { state, list };
}

describe('ReplyTopics', () => {
  test('one listing per fetch, whatever the number of names in it; known names cost nothing after', async () => {
    const c = cluster(['replies.a', 'replies.b']);
    const rt = new ReplyTopics(c.list, { minRefreshMs: 0 });
    const missing = await rt.resolve(['replies.a', 'replies.b', ...Array.from({ length: 2000 }, (_, i) => `forged.${i}`)]);
    expect(c.state.calls).toBe(1);
    expect(missing.size).toBe(2000);
    expect(rt.cached('replies.a')).toBe(true);
    expect(await rt.resolve(['replies.a', 'replies.b'])).toEqual(new Set());
    expect(c.state.calls).toBe(1);
  });

  test('names found missing are answered from the negative cache until its TTL ends, then looked up again', async () => {
    let now = 0;
    const topics = ['replies.a'];
    const c = cluster(topics);
    const rt = new ReplyTopics(c.list, { minRefreshMs: 0, negativeTtlMs: 10_000, now: () => now });
    expect(await rt.resolve(['replies.late'])).toEqual(new Set(['replies.late']));
    topics.push('replies.late'); // created after the first lookup
    now = 5_000;
    expect(rt.cached('replies.late')).toBe(false);
    expect(await rt.resolve(['replies.late'])).toEqual(new Set(['replies.late']));
    expect(c.state.calls).toBe(1);
    now = 10_001;
    expect(rt.cached('replies.late')).toBeUndefined();
    expect(await rt.resolve(['replies.late'])).toEqual(new Set());
    expect(c.state.calls).toBe(2);
  });

  test('concurrent fetches share one listing', async () => {
    const c = cluster(['replies.a']);
    const rt = new ReplyTopics(c.list, { minRefreshMs: 0 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => rt.resolve([`x.${i}`])));
    expect(c.state.calls).toBe(1);
  });

  test('a failing listing rejects and caches nothing; the next fetch tries again', async () => {
    const c = cluster(['t']);
    c.state.fail = true;
    const rt = new ReplyTopics(c.list, { minRefreshMs: 0 });
    await expect(rt.resolve(['t'])).rejects.toThrow('broker down');
    expect(rt.cached('t')).toBeUndefined();
    c.state.fail = false;
    expect(await rt.resolve(['t'])).toEqual(new Set());
  });
});
