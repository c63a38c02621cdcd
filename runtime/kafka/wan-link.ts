/**
 * A WAN link emulated in user space: a TCP proxy on loopback that adds one-way latency (plus jitter),
 * limits bandwidth with a token bucket, and can be cut and healed at run time. Kernel netem is not
 * available here, and a proxy also works unprivileged in CI.
 *
 * One link carries several routes (one per broker); all routes share the link's bandwidth, one token
 * bucket per direction, as on a real access line. Byte order within a connection is always kept.
 */
import * as net from 'node:net';

export interface WanShape {
  /** One-way delay added to every byte, each direction. @default 0 */
  readonly latencyMs: number;
  /** Extra delay, uniform in [0, jitterMs]; never reorders a connection's bytes. @default 0 */
  readonly jitterMs: number;
  /** Bytes per second, each direction; undefined = unlimited. */
  readonly bandwidthBytesPerSec?: number;
  /** Bytes that may pass at once after the link was idle. @default 16384 */
  readonly burstBytes: number;
}

export type WanLinkOptions = Partial<WanShape>;

export const DEFAULT_WAN_SHAPE: WanShape = { latencyMs: 0, jitterMs: 0, burstBytes: 16 * 1024 };

/** Virtual-time token bucket: `freeAt` is when the bucket will have been refilled up to now. */
export interface BucketState {
  freeAt: number;
}

/**
 * Pure core of the link: when a chunk of `bytes` offered at `now` arrives at the far end.
 * `prevDeliverAt` is the previous chunk of the same connection and direction (keeps order).
 */
export function scheduleChunk(
  bucket: BucketState,
  now: number,
  bytes: number,
  shape: WanShape,
  prevDeliverAt: number,
  random: () => number = Math.random,
): number {
  let sentAt = now;
  const rate = shape.bandwidthBytesPerSec;
  if (rate !== undefined && rate > 0) {
    const msPerByte = 1000 / rate;
    // Tokens saved while idle are capped at the burst size.
    const start = Math.max(bucket.freeAt, now - shape.burstBytes * msPerByte);
    bucket.freeAt = start + bytes * msPerByte;
    sentAt = Math.max(now, bucket.freeAt);
  }
  const jitter = shape.jitterMs > 0 ? random() * shape.jitterMs : 0;
  return Math.max(sentAt + shape.latencyMs + jitter, prevDeliverAt);
}

export interface WanRoute {
  /** Port the proxy listens on (127.0.0.1); 0 picks a free one. */
  readonly listenPort: number;
  readonly targetHost: string;
  readonly targetPort: number;
}

export type CutMode = 'stall' | 'reset';

export interface WanLinkStats {
  readonly connectionsAccepted: number;
  readonly connectionsOpen: number;
  /** Bytes delivered client → server and server → client. */
  readonly bytesUp: number;
  readonly bytesDown: number;
}

const CHUNK = 16 * 1024;
const HIGH_WATER = 1024 * 1024;

/** One direction of one proxied connection. */
class Pipe {
  private readonly queue: { at: number; data: Buffer }[] = [];
  private queuedBytes = 0;
  private lastAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private waitingDrain = false;

  constructor(
    private readonly link: WanLink,
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    private readonly bucket: BucketState,
    private readonly count: (n: number) => void,
  ) {
    from.on('data', (data: Buffer) => this.offer(data));
    to.on('drain', () => {
      this.waitingDrain = false;
      this.flowControl();
    });
  }

  private offer(data: Buffer): void {
    const now = performance.now();
    for (let i = 0; i < data.length; i += CHUNK) {
      const part = data.subarray(i, Math.min(i + CHUNK, data.length));
      this.lastAt = scheduleChunk(this.bucket, now, part.length, this.link.shape, this.lastAt);
      this.queue.push({ at: this.lastAt, data: part });
      this.queuedBytes += part.length;
    }
    this.flowControl();
    this.arm();
  }

  /** Read from the source only while the link is up and the far side keeps up. */
  flowControl(): void {
    const stop = !this.link.isUp || this.waitingDrain || this.queuedBytes > HIGH_WATER;
    if (stop && !this.from.isPaused()) this.from.pause();
    if (!stop && this.from.isPaused()) this.from.resume();
  }

  arm(): void {
    if (this.timer || this.queue.length === 0 || !this.link.isUp) return;
    const wait = Math.max(0, this.queue[0].at - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.deliver();
    }, wait);
  }

  private deliver(): void {
    if (!this.link.isUp) return;
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0].at <= now + 0.5) {
      const { data } = this.queue.shift()!;
      this.queuedBytes -= data.length;
      this.count(data.length);
      if (!this.to.destroyed && !this.to.write(data)) this.waitingDrain = true;
    }
    this.flowControl();
    this.arm();
  }

  /** After a heal, bytes held during the outage go out now, in order. */
  resumeAfterCut(now: number): void {
    for (const q of this.queue) q.at = Math.max(q.at, now);
    this.lastAt = Math.max(this.lastAt, now);
    this.flowControl();
    this.arm();
  }

  stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

interface Connection {
  readonly client: net.Socket;
  upstream?: net.Socket;
  pipes: Pipe[];
  readonly route: WanRoute;
}

export class WanLink {
  private current: WanShape;
  private up = true;
  private cutMode: CutMode = 'stall';
  private readonly servers: net.Server[] = [];
  private readonly conns = new Set<Connection>();
  private readonly held: Connection[] = [];
  private readonly upBucket: BucketState = { freeAt: 0 };
  private readonly downBucket: BucketState = { freeAt: 0 };
  private accepted = 0;
  private bytesUp = 0;
  private bytesDown = 0;
  /** The ports the proxy listens on, in route order. */
  readonly ports: number[] = [];

  private constructor(options: WanLinkOptions) {
    this.current = validateShape({ ...DEFAULT_WAN_SHAPE, ...options });
  }

  static async start(routes: readonly WanRoute[], options: WanLinkOptions = {}, host = '127.0.0.1'): Promise<WanLink> {
    const link = new WanLink(options);
    try {
      for (const route of routes) {
        const server = net.createServer((s) => link.accept(s, route));
        link.servers.push(server);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(route.listenPort, host, () => resolve());
        });
        link.ports.push((server.address() as net.AddressInfo).port);
      }
    } catch (e) {
      await link.close();
      throw e;
    }
    return link;
  }

  get shape(): WanShape {
    return this.current;
  }

  get isUp(): boolean {
    return this.up;
  }

  /** Changes latency, jitter or bandwidth from now on (bytes already in flight keep their schedule). */
  set(options: WanLinkOptions): void {
    this.current = validateShape({ ...this.current, ...options });
  }

  /**
   * Takes the link down. 'stall' (a real outage): open connections stop moving bytes and new ones hang
   * unanswered until heal(); nothing is lost. 'reset': open connections are reset and new ones refused.
   */
  cut(mode: CutMode = 'stall'): void {
    this.up = false;
    this.cutMode = mode;
    for (const c of [...this.conns]) {
      if (mode === 'reset') this.drop(c);
      else for (const p of c.pipes) {
        p.stopTimer();
        p.flowControl();
      }
    }
  }

  /** Brings the link back; stalled bytes and held connections go through. */
  heal(): void {
    if (this.up) return;
    this.up = true;
    const now = performance.now();
    for (const c of this.conns) for (const p of c.pipes) p.resumeAfterCut(now);
    for (const c of this.held.splice(0)) if (!c.client.destroyed) this.connectUpstream(c);
  }

  stats(): WanLinkStats {
    return {
      connectionsAccepted: this.accepted,
      connectionsOpen: this.conns.size,
      bytesUp: this.bytesUp,
      bytesDown: this.bytesDown,
    };
  }

  async close(): Promise<void> {
    for (const c of [...this.conns]) this.drop(c);
    await Promise.all(
      this.servers.map((s) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()))),
    );
  }

  private accept(client: net.Socket, route: WanRoute): void {
    this.accepted++;
    client.setNoDelay(true);
    const c: Connection = { client, route, pipes: [] };
    this.conns.add(c);
    client.on('error', () => this.drop(c));
    client.on('close', () => this.drop(c));
    if (this.up) this.connectUpstream(c);
    else if (this.cutMode === 'reset') this.drop(c);
    else {
      client.pause();
      this.held.push(c);
    }
  }

  private connectUpstream(c: Connection): void {
    const upstream = net.connect({ host: c.route.targetHost, port: c.route.targetPort });
    c.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on('error', () => this.drop(c));
    upstream.on('close', () => this.drop(c));
    upstream.pause();
    upstream.once('connect', () => {
      c.pipes = [
        new Pipe(this, c.client, upstream, this.upBucket, (n) => (this.bytesUp += n)),
        new Pipe(this, upstream, c.client, this.downBucket, (n) => (this.bytesDown += n)),
      ];
      for (const p of c.pipes) p.flowControl();
    });
  }

  private drop(c: Connection): void {
    if (!this.conns.delete(c)) return;
    for (const p of c.pipes) p.stopTimer();
    c.client.destroy();
    c.upstream?.destroy();
  }
}

function validateShape(s: WanShape): WanShape {
  if (!(s.latencyMs >= 0)) throw new Error(`latencyMs (${s.latencyMs}) must be ≥ 0`);
  if (!(s.jitterMs >= 0)) throw new Error(`jitterMs (${s.jitterMs}) must be ≥ 0`);
  if (s.bandwidthBytesPerSec !== undefined && !(s.bandwidthBytesPerSec > 0)) {
    throw new Error(`bandwidthBytesPerSec (${s.bandwidthBytesPerSec}) must be > 0`);
  }
  if (!(s.burstBytes > 0)) throw new Error(`burstBytes (${s.burstBytes}) must be > 0`);
  return s;
}
