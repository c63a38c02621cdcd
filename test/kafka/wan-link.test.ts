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

describe('WanLink (real sockets on loopback)', () => {
  let echo: net.Server;
  let echoPort: number;
  const links: WanLink[] = [];

  beforeAll(async () => {
    echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    echoPort = (echo.address() as net.AddressInfo).port;
  });
  afterEach(async () => {
    await Promise.all(links.splice(0).map((l) => l.close()));
  });
  afterAll(async () => {
    await new Promise<void>((r) => echo.close(() => r()));
  });

  async function link(opts: WanLinkOptions = {}): Promise<WanLink> {
    const l = await WanLink.start([{ listenPort: 0, targetHost: '127.0.0.1', targetPort: echoPort }], opts);
    links.push(l);
    return l;
  }

  function connect(port: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
      s.once('error', reject);
    });
  }

  /** Sends `bytes` and resolves with the ms until all of them came back. */
  function roundTrip(s: net.Socket, bytes: number): Promise<number> {
    return new Promise((resolve) => {
      const t0 = performance.now();
      let got = 0;
      const onData = (d: Buffer) => {
        got += d.length;
        if (got >= bytes) {
          s.off('data', onData);
          resolve(performance.now() - t0);
        }
      };
      s.on('data', onData);
      s.write(Buffer.alloc(bytes, 7));
    });
  }

  test('adds the one-way latency in each direction', async () => {
    const l = await link({ latencyMs: 60 });
    const s = await connect(l.ports[0]);
    const rtt = await roundTrip(s, 10);
    expect(rtt).toBeGreaterThanOrEqual(118);
    expect(rtt).toBeLessThan(1000);
    expect(l.stats()).toMatchObject({ connectionsAccepted: 1, bytesUp: 10, bytesDown: 10 });
    s.destroy();
  });

  test('limits bandwidth', async () => {
    const l = await link({ bandwidthBytesPerSec: 200_000, burstBytes: 16_384 });
    const s = await connect(l.ports[0]);
    // 100 kB at 200 kB/s after a 16 kB burst takes ≥ 0.42 s; the echo pipelines both directions.
    const rtt = await roundTrip(s, 100_000);
    expect(rtt).toBeGreaterThanOrEqual(410);
    expect(rtt).toBeLessThan(5000);
    s.destroy();
  });

  test('set() changes the latency of later traffic', async () => {
    const l = await link({ latencyMs: 0 });
    const s = await connect(l.ports[0]);
    expect(await roundTrip(s, 10)).toBeLessThan(100);
    l.set({ latencyMs: 100 });
    expect(await roundTrip(s, 10)).toBeGreaterThanOrEqual(198);
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
    await new Promise((r) => setTimeout(r, 400));
    expect(got).toBe(0);
    l.heal();
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toBe(1000);
    s.destroy();
  });

  test('a connection opened during a stall cut hangs, then works after heal()', async () => {
    const l = await link();
    l.cut('stall');
    const s = await connect(l.ports[0]);
    const rtt = roundTrip(s, 10);
    let done = false;
    void rtt.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    l.heal();
    await rtt;
    s.destroy();
  });

  test('cut("reset") closes open connections and refuses new ones until heal()', async () => {
    const l = await link();
    const s = await connect(l.ports[0]);
    const closed = new Promise((r) => s.once('close', r));
    l.cut('reset');
    await closed;
    const s2 = await connect(l.ports[0]);
    await new Promise((r) => s2.once('close', r));
    l.heal();
    const s3 = await connect(l.ports[0]);
    expect(await roundTrip(s3, 10)).toBeLessThan(1000);
    s3.destroy();
  });

  test('rejects invalid shapes', async () => {
    await expect(WanLink.start([], { latencyMs: -1 })).rejects.toThrow('latencyMs (-1)');
    await expect(WanLink.start([], { bandwidthBytesPerSec: 0 })).rejects.toThrow('bandwidthBytesPerSec (0)');
  });
});
