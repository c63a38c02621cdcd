import * as net from 'node:net';
import { DEFAULT_WAN_SHAPE, scheduleChunk, WanLink, type WanLinkOptions, type WanShape } from '../../runtime/kafka/wan-link';

describe('scheduleChunk (pure timing)', () => {
  const shape = (s: Partial<WanShape>): WanShape => ({ ...DEFAULT_WAN_SHAPE, ...s });

  test('adds the one-way latency', () => {
    expect(scheduleChunk({ freeAt: 0 }, 1000, 500, shape({ latencyMs: 40 }), 0)).toBe(1040);
  });

  test('paces bytes beyond the burst at the bandwidth', () => {
    const b = { freeAt: 0 };
    const s = shape({ bandwidthBytesPerSec: 1000, burstBytes: 100 }); // 1 ms per byte
    expect(scheduleChunk(b, 10_000, 100, s, 0)).toBe(10_000); // within the burst: at once
    expect(scheduleChunk(b, 10_000, 100, s, 0)).toBe(10_100); // the next 100 B wait 100 ms
    expect(scheduleChunk(b, 10_000, 50, s, 0)).toBe(10_150);
  });

  test('an idle link saves at most one burst of tokens', () => {
    const b = { freeAt: 0 };
    const s = shape({ bandwidthBytesPerSec: 1000, burstBytes: 100 });
    scheduleChunk(b, 0, 100, s, 0);
    // 10 s idle, then 300 B: 100 B of burst pass at once, 200 B take 200 ms.
    expect(scheduleChunk(b, 10_000, 300, s, 0)).toBe(10_200);
  });

  test('jitter never reorders a connection\'s bytes', () => {
    const s = shape({ latencyMs: 10, jitterMs: 20 });
    const first = scheduleChunk({ freeAt: 0 }, 0, 1, s, 0, () => 1); // 30
    const second = scheduleChunk({ freeAt: 0 }, 1, 1, s, first, () => 0); // would be 11
    expect(first).toBe(30);
    expect(second).toBe(30);
  });
});

/**
 * Real sockets on loopback, virtual time: jest's fake timers drive the link's scheduler (setTimeout and
 * performance.now), so delays are asserted exactly and a loaded machine cannot make them flaky. Socket I/O stays
 * real: setImmediate is not faked, and `settle()` lets it flow between steps of virtual time.
 */
describe('WanLink (real sockets on loopback, fake timers)', () => {
  let echo: net.Server;
  let echoPort: number;
  const links: WanLink[] = [];

  beforeAll(async () => {
    echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    echoPort = (echo.address() as net.AddressInfo).port;
  });
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    // Virtual time starts at 0, where a new link's token buckets would have no idle credit; on a real clock a new
    // link has been idle long enough for a full burst.
    jest.advanceTimersByTime(1_000);
  });
  afterEach(async () => {
    jest.useRealTimers();
    await Promise.all(links.splice(0).map((l) => l.close()));
  });
  afterAll(async () => {
    await new Promise<void>((r) => echo.close(() => r()));
  });

  /** Lets loopback I/O (link → echo server → link → client) and timers due now run, without moving virtual time. */
  async function settle(): Promise<void> {
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
      await jest.advanceTimersByTimeAsync(0);
    }
  }

  /** Moves virtual time forward 1 ms at a time, settling I/O after each step. */
  async function elapse(ms: number): Promise<void> {
    for (let i = 0; i < ms; i++) {
      await jest.advanceTimersByTimeAsync(1);
      await settle();
    }
  }

  async function link(opts: WanLinkOptions = {}): Promise<WanLink> {
    const l = await WanLink.start([{ listenPort: 0, targetHost: '127.0.0.1', targetPort: echoPort }], opts);
    links.push(l);
    return l;
  }

  /** A client connected through the link, once the link has connected upstream. */
  async function connect(port: number): Promise<net.Socket> {
    const s = await new Promise<net.Socket>((resolve, reject) => {
      const c = net.connect({ host: '127.0.0.1', port }, () => resolve(c));
      c.once('error', reject);
    });
    await settle();
    return s;
  }

  /** Sends `bytes` and returns the virtual ms until all of them came back. */
  async function roundTrip(s: net.Socket, bytes: number, limitMs = 5_000): Promise<number> {
    const t0 = performance.now();
    let got = 0;
    const onData = (d: Buffer) => (got += d.length);
    s.on('data', onData);
    s.write(Buffer.alloc(bytes, 7));
    await settle();
    while (got < bytes) {
      if (performance.now() - t0 > limitMs) throw new Error(`${got}/${bytes} bytes back after ${limitMs} virtual ms`);
      await elapse(1);
    }
    s.off('data', onData);
    return performance.now() - t0;
  }

  test('adds the one-way latency in each direction', async () => {
    const l = await link({ latencyMs: 60 });
    const s = await connect(l.ports[0]);
    expect(await roundTrip(s, 10)).toBe(120);
    expect(l.stats()).toMatchObject({ connectionsAccepted: 1, bytesUp: 10, bytesDown: 10 });
    s.destroy();
  });

  test('limits bandwidth', async () => {
    const l = await link({ bandwidthBytesPerSec: 200_000, burstBytes: 16_384 });
    const s = await connect(l.ports[0]);
    // 100 kB at 200 kB/s after a 16 kB burst: the last byte leaves after (100,000 − 16,384) / 200 = 418 ms; the
    // echo pipelines the way back through its own bucket, which adds the last chunk's pacing.
    const rtt = await roundTrip(s, 100_000);
    expect(rtt).toBeGreaterThanOrEqual(418);
    expect(rtt).toBeLessThanOrEqual(440);
    s.destroy();
  });

  test('set() changes the latency of later traffic', async () => {
    const l = await link({ latencyMs: 0 });
    const s = await connect(l.ports[0]);
    expect(await roundTrip(s, 10)).toBe(0);
    l.set({ latencyMs: 100 });
    expect(await roundTrip(s, 10)).toBe(200);
    s.destroy();
  });

  test('cut() stalls open connections without losing bytes; heal() delivers them', async () => {
    const l = await link({ latencyMs: 5 });
    const s = await connect(l.ports[0]);
    await roundTrip(s, 10);
    l.cut();
    expect(l.isUp).toBe(false);
    let got = 0;
    s.on('data', (d) => (got += d.length));
    s.write(Buffer.alloc(1000));
    await elapse(400);
    expect(got).toBe(0);
    l.heal();
    // Held bytes leave at the heal and cross the link's latency both ways.
    await elapse(9);
    expect(got).toBe(0);
    await elapse(1);
    expect(got).toBe(1000);
    s.destroy();
  });

  test('a connection opened during a stall cut hangs, then works after heal()', async () => {
    const l = await link();
    l.cut('stall');
    const s = await connect(l.ports[0]);
    let got = 0;
    s.on('data', (d) => (got += d.length));
    s.write(Buffer.alloc(10, 1));
    await elapse(300);
    expect(got).toBe(0);
    l.heal();
    await settle();
    await elapse(1);
    expect(got).toBe(10);
    s.destroy();
  });

  test('cut("reset") closes open connections and refuses new ones until heal()', async () => {
    const l = await link();
    const s = await connect(l.ports[0]);
    // Reading lets the socket see the end the reset sends.
    const closed = new Promise((r) => s.resume().once('close', r));
    l.cut('reset');
    await closed;
    const s2 = await connect(l.ports[0]);
    await new Promise((r) => (s2.destroyed ? r(undefined) : s2.resume().once('close', r)));
    l.heal();
    const s3 = await connect(l.ports[0]);
    expect(await roundTrip(s3, 10)).toBe(0);
    s3.destroy();
  });

  test('rejects invalid shapes', async () => {
    await expect(WanLink.start([], { latencyMs: -1 })).rejects.toThrow('latencyMs (-1)');
    await expect(WanLink.start([], { bandwidthBytesPerSec: 0 })).rejects.toThrow('bandwidthBytesPerSec (0)');
  });
});
