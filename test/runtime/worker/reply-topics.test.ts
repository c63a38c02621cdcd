import { ReplyTopics } from '../../../runtime/worker/reply-topics';

describe('ReplyTopics', () => {
  test('caches known topics and lists the cluster once for a burst of unknown names', async () => {
    let calls = 0;
    const topics = ['replies.a'];
    const rt = new ReplyTopics(async () => {
      calls++;
      return [...topics];
    }, 50);
    expect(await rt.exists('replies.a')).toBe(true);
    expect(calls).toBe(1);
    expect(await rt.exists('replies.a')).toBe(true);
    expect(calls).toBe(1);
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => rt.exists(`forged.${i}`)));
    expect(burst.every((b) => b === false)).toBe(true);
    expect(calls).toBe(2);
    topics.push('replies.b');
    expect(await rt.exists('replies.b')).toBe(true);
    expect(calls).toBe(3);
  });

  test('a failing listing rejects (the record is redelivered), the next call tries again', async () => {
    let fail = true;
    const rt = new ReplyTopics(async () => {
      if (fail) throw new Error('broker down');
      return ['t'];
    }, 0);
    await expect(rt.exists('t')).rejects.toThrow('broker down');
    fail = false;
    expect(await rt.exists('t')).toBe(true);
  });
});
