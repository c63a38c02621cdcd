/**
 * The capacity model (pure, deterministic for a seed): a discrete-event simulation of requests through the
 * continuum. Each CPU group is a processor-sharing server with `cores` cores; every job on it (a broker's work for
 * one hop, MirrorMaker 2 copying one message, a worker's batch) is one thread, so n jobs each run at
 * min(1, cores / n) of a core. Processor sharing, not k-server FCFS, because that is what the kernel does with
 * runnable threads under a CFS quota: a 10 ms predict does not hold a broker's 0.2 ms of work behind it, every
 * thread slows down together, and a quota below one core slows even a lone thread. The devices' work is the
 * exception: all devices run in one process, so it is serialised (FCFS) on that one event loop before it shares
 * its group's CPU.
 * Workers take up to `maxBatch` queued requests when free (the runtime's micro-batching with wait 0); a replica
 * runs one batch at a time. Fixed latencies (`baseMs`) and the WAN (serialisation FCFS per direction + one-way
 * latency) are pure delays. The path is device → first layer → (exit share answered) → … → last layer → device.
 */
import { latencySummary } from '../collector/collect';
import { seeded, type Random } from './prng';
import type { Profile, SimOptions, SimResult, SimStats } from './types';

/** One step of a request's path; `segment` names the report's breakdown segment it counts towards. */
export type Step =
  | { readonly segment: string; readonly kind: 'cpu'; readonly group: string; readonly ms: number; readonly tag: string }
  | { readonly segment: string; readonly kind: 'delay'; readonly ms: number }
  | { readonly segment: string; readonly kind: 'wan'; readonly direction: 'up' | 'down' }
  | { readonly segment: string; readonly kind: 'worker'; readonly layer: number };

export const workerSegment = (layer: string) => `${layer} worker (queue, batch, predict)`;

/**
 * The steps of one request: `exits` says whether the first layer answers it. The WAN is the link into the last
 * layer (edge → cloud); links between earlier layers (edge → fog) are local, with their base delay only.
 * Mirrored: the sender's cluster takes the message, MirrorMaker 2 next to the target copies it over the WAN into
 * the target's cluster. Direct: the sending worker produces across the WAN into the target's cluster.
 */
export function requestPath(p: Profile, exits: boolean): Step[] {
  const L = p.layers;
  const steps: Step[] = [];
  const cpu = (segment: string, layer: number, ms: number, tag: string) => steps.push({ segment, kind: 'cpu', group: L[layer].group, ms, tag });
  const base = (segment: string) => steps.push({ segment, kind: 'delay', ms: p.baseMs[segment] ?? 0 });
  const wan = (segment: string, direction: 'up' | 'down') => {
    steps.push({ segment, kind: 'cpu', group: p.wan.group, ms: p.wan.cpuPerCrossingMs, tag: 'wan-link' });
    steps.push({ segment, kind: 'wan', direction });
  };
  const kafka = (segment: string, layer: number) => cpu(segment, layer, L[layer].kafkaHopMs, `kafka:${L[layer].name}`);
  const mirror = (segment: string, into: number) => cpu(segment, into, L[into].mirrorMs, `mirror:${L[into].name}`);

  const first = `device → ${L[0].name} worker`;
  steps.push({ segment: first, kind: 'cpu', group: p.devices.group, ms: p.devices.cpuPerRequestMs, tag: 'devices' });
  if (p.run === 'cloud-only') wan(first, 'up');
  kafka(first, 0);
  base(first);
  steps.push({ segment: workerSegment(L[0].name), kind: 'worker', layer: 0 });
  if (exits && p.run !== 'cloud-only') {
    const back = `${L[0].name} worker → device`;
    kafka(back, 0);
    base(back);
    return steps;
  }
  const last = L.length - 1;
  for (let i = 1; i < L.length; i++) {
    const seg = `${L[i - 1].name} → ${L[i].name} worker`;
    const overWan = i === last;
    if (p.run === 'mirrored' || !overWan) kafka(seg, i - 1);
    if (p.run === 'mirrored' && overWan) mirror(seg, i);
    if (overWan) wan(seg, 'up');
    kafka(seg, i);
    base(seg);
    steps.push({ segment: workerSegment(L[i].name), kind: 'worker', layer: i });
  }
  const back = `${L[last].name} worker → device`;
  if (p.run === 'cloud-only') {
    kafka(back, last);
    wan(back, 'down');
  } else {
    if (p.run === 'mirrored') {
      kafka(back, last);
      mirror(back, 0);
    }
    wan(back, 'down');
    kafka(back, 0);
  }
  base(back);
  return steps;
}

/** Expected visits per request of each CPU tag (`kafka:<layer>`, `mirror:<layer>`, `devices`, `wan-link`), and of each layer's worker. */
export function expectedVisits(p: Profile): Record<string, number> {
  const visits: Record<string, number> = {};
  const x = p.run === 'cloud-only' ? 0 : p.exitShare;
  for (const [exits, weight] of [[true, x], [false, 1 - x]] as const) {
    if (weight === 0) continue;
    for (const s of requestPath(p, exits)) {
      const key = s.kind === 'cpu' ? s.tag : s.kind === 'worker' ? `worker:${p.layers[s.layer].name}` : s.kind === 'wan' ? `wan:${s.direction}` : null;
      if (key) visits[key] = (visits[key] ?? 0) + weight;
    }
  }
  return visits;
}

/** A binary min-heap keyed by (key, seq): ties resolve in insertion order, so runs are repeatable. */
class Heap<T> {
  private readonly items: { key: number; seq: number; value: T }[] = [];
  private seq = 0;
  get size() {
    return this.items.length;
  }
  peekKey() {
    return this.items[0].key;
  }
  push(key: number, value: T) {
    const a = this.items;
    a.push({ key, seq: this.seq++, value });
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }
  pop(): T {
    const a = this.items;
    const top = a[0];
    const end = a.pop()!;
    if (a.length > 0) {
      a[0] = end;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m])) m = l;
        if (r < a.length && this.less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top.value;
  }
  private less(a: { key: number; seq: number }, b: { key: number; seq: number }) {
    return a.key < b.key || (a.key === b.key && a.seq < b.seq);
  }
}

type Schedule = (t: number, fn: () => void) => void;

/** A processor-sharing CPU: jobs keyed by the virtual time (service per job) at which they finish. */
class PsCpu {
  private virtual = 0;
  private last = 0;
  private version = 0;
  private readonly jobs = new Heap<() => void>();
  /** Core-milliseconds of work done. */
  busy = 0;
  constructor(
    readonly cores: number,
    private readonly at: Schedule,
  ) {}
  private rate() {
    return Math.min(1, this.cores / this.jobs.size);
  }
  private advance(now: number) {
    const n = this.jobs.size;
    if (n > 0) {
      this.virtual += (now - this.last) * this.rate();
      this.busy += (now - this.last) * Math.min(n, this.cores);
    }
    this.last = now;
  }
  submit(now: number, ms: number, done: () => void) {
    if (ms <= 0) {
      this.at(now, done);
      return;
    }
    this.advance(now);
    this.jobs.push(this.virtual + ms, done);
    this.reschedule(now);
  }
  private reschedule(now: number) {
    const v = ++this.version;
    if (this.jobs.size === 0) return;
    const t = now + Math.max(0, this.jobs.peekKey() - this.virtual) / this.rate();
    this.at(t, () => {
      if (v !== this.version) return;
      this.advance(t);
      // The job this event was scheduled for finishes now even if rounding left its virtual time a hair short
      // (at large clock values a tiny step can vanish: without this the event would reschedule itself forever).
      this.virtual = Math.max(this.virtual, this.jobs.peekKey());
      const done: (() => void)[] = [this.jobs.pop()];
      const eps = 1e-9 * Math.max(1, Math.abs(this.virtual));
      while (this.jobs.size > 0 && this.jobs.peekKey() <= this.virtual + eps) done.push(this.jobs.pop());
      this.reschedule(t);
      for (const d of done) d();
    });
  }
}

interface Request {
  readonly sentAt: number;
  readonly device: number;
  readonly steps: readonly Step[];
  readonly answeredBy: string;
  index: number;
  segmentStart: number;
  readonly segments: Map<string, number>;
  readonly batchOf: Map<string, number>;
  readonly predictMs: Map<string, number>;
}

function stats(values: number[]): SimStats {
  const s = latencySummary(values);
  return { count: s.count, avg: s.avgMs, p50: s.p50Ms, p95: s.p95Ms, p99: s.p99Ms };
}

/** Runs the simulation until `requests` answers after the warm-up; see the file comment for the model. */
export function simulate(p: Profile, options: SimOptions = {}): SimResult {
  const measured = options.requests ?? 4000;
  const warmup = options.warmup ?? Math.max(50, Math.round(measured / 10));
  const rnd: Random = seeded(options.seed ?? 1);
  const events = new Heap<() => void>();
  let now = 0;
  const at: Schedule = (t, fn) => events.push(Math.max(t, now), fn);

  const cpus = new Map(Object.entries(p.groups).map(([g, cores]) => [g, new PsCpu(cores, at)]));
  const cpu = (group: string) => {
    const c = cpus.get(group);
    if (!c) throw new Error(`profile: CPU group "${group}" is not in groups (${[...cpus.keys()].join(', ')})`);
    return c;
  };
  const paths = { exit: requestPath(p, true), forward: requestPath(p, false) };
  const lastLayer = p.layers[p.layers.length - 1].name;
  const exitShare = p.run === 'cloud-only' ? 0 : p.exitShare;

  const wanFreeAt = { up: 0, down: 0 };
  const wanBytes = { up: p.wan.upBytes, down: p.wan.downBytes };
  const workers = p.layers.map((l) =>
    Array.from({ length: l.replicas }, () => ({ queue: [] as Request[], head: 0, busy: false })),
  );

  const done: { r: Request; at: number }[] = [];
  let spanStart: { t: number; busy: Map<string, number> } | null = null;

  const advance = (r: Request) => {
    if (r.index >= r.steps.length) {
      finish(r);
      return;
    }
    const step = r.steps[r.index];
    const prev = r.index > 0 ? r.steps[r.index - 1].segment : null;
    if (prev !== null && prev !== step.segment) {
      r.segments.set(prev, (r.segments.get(prev) ?? 0) + now - r.segmentStart);
      r.segmentStart = now;
    }
    r.index++;
    const next = () => advance(r);
    switch (step.kind) {
      case 'cpu':
        if (step.tag === 'devices') deviceLoop(step.group, step.ms, next);
        else cpu(step.group).submit(now, step.ms, next);
        return;
      case 'delay':
        at(now + rnd.gamma(step.ms, r.steps === paths.exit ? p.jitterCv.exit : p.jitterCv.forward), next);
        return;
      case 'wan': {
        const bw = p.wan.bandwidthMbps;
        const tx = bw ? (wanBytes[step.direction] * 8) / (bw * 1000) : 0;
        const start = Math.max(now, wanFreeAt[step.direction]);
        wanFreeAt[step.direction] = start + tx;
        at(start + tx + p.wan.oneWayMs, next);
        return;
      }
      case 'worker': {
        const replicas = workers[step.layer];
        const w = replicas[rnd.int(replicas.length)];
        w.queue.push(r);
        if (!w.busy) startBatch(step.layer, w);
        return;
      }
    }
  };

  // All devices run in one process (runtime/devices/simulator.ts): their work is serialised on its one event
  // loop, FCFS, and that thread shares its group's CPU with whatever else runs there. Without this, requests
  // answered in one batch would run their device work in lockstep under processor sharing and stay a convoy.
  const loop = { busy: false, queue: [] as { group: string; ms: number; done: () => void }[] };
  const deviceLoop = (group: string, ms: number, done: () => void) => {
    loop.queue.push({ group, ms, done });
    if (!loop.busy) runLoop();
  };
  const runLoop = () => {
    const job = loop.queue.shift();
    loop.busy = job !== undefined;
    if (!job) return;
    cpu(job.group).submit(now, job.ms, () => {
      job.done();
      runLoop();
    });
  };

  const startBatch = (layer: number, w: (typeof workers)[number][number]) => {
    const l = p.layers[layer];
    const n = Math.min(l.maxBatch, w.queue.length - w.head);
    if (n === 0) return;
    const batch = w.queue.slice(w.head, w.head + n);
    w.head += n;
    if (w.head > 1024) {
      w.queue.splice(0, w.head);
      w.head = 0;
    }
    w.busy = true;
    const started = now;
    cpu(l.group).submit(now, l.predict.fixedMs + l.predict.perItemMs * n, () => {
      w.busy = false;
      for (const r of batch) {
        r.predictMs.set(l.name, now - started);
        r.batchOf.set(l.name, n);
        advance(r);
      }
      startBatch(layer, w);
    });
  };

  const send = (device: number) => {
    const exits = rnd.next() < exitShare;
    const r: Request = {
      sentAt: now,
      device,
      steps: exits ? paths.exit : paths.forward,
      answeredBy: exits ? p.layers[0].name : lastLayer,
      index: 0,
      segmentStart: now,
      segments: new Map(),
      batchOf: new Map(),
      predictMs: new Map(),
    };
    advance(r);
  };

  const finish = (r: Request) => {
    const lastSeg = r.steps[r.steps.length - 1].segment;
    r.segments.set(lastSeg, (r.segments.get(lastSeg) ?? 0) + now - r.segmentStart);
    done.push({ r, at: now });
    if (done.length === warmup) spanStart = { t: now, busy: new Map([...cpus].map(([g, c]) => [g, c.busy])) };
    if (p.arrival.kind === 'closed') send(r.device);
  };

  const { arrival } = p;
  if (arrival.devices < 1) throw new Error(`arrival.devices (${arrival.devices}) must be ≥ 1`);
  for (let d = 0; d < arrival.devices; d++) {
    if (arrival.kind === 'closed') {
      at(rnd.next(), () => send(d));
    } else {
      if (!(arrival.ratePerDevice > 0)) throw new Error(`arrival.ratePerDevice (${arrival.ratePerDevice}) must be > 0`);
      const gap = 1000 / arrival.ratePerDevice;
      const nextGap = () => (arrival.kind === 'poisson' ? rnd.exponential(gap) : gap);
      const tick = () => {
        if (done.length >= warmup + measured) return;
        send(d);
        at(now + nextGap(), tick);
      };
      at(rnd.next() * gap, tick);
    }
  }

  while (events.size > 0 && done.length < warmup + measured) {
    now = events.peekKey();
    events.pop()();
  }

  const kept = done.slice(warmup);
  const span = spanStart as { t: number; busy: Map<string, number> } | null;
  const spanMs = span ? now - span.t : NaN;
  const byLayer = new Map<string, number[]>();
  const segSums = new Map<string, { total: number; n: number }>();
  const predict = new Map<string, { total: number; n: number }>();
  const batches = new Map<string, { total: number; n: number }>();
  const inverse = new Map<string, { total: number; n: number }>();
  const addTo = (m: Map<string, { total: number; n: number }>, k: string, v: number) => {
    const s = m.get(k) ?? { total: 0, n: 0 };
    s.total += v;
    s.n += 1;
    m.set(k, s);
  };
  for (const { r, at: t } of kept) {
    const list = byLayer.get(r.answeredBy) ?? [];
    list.push(t - r.sentAt);
    byLayer.set(r.answeredBy, list);
    for (const [s, v] of r.segments) addTo(segSums, s, v);
    for (const [l, v] of r.predictMs) addTo(predict, l, v);
    for (const [l, n] of r.batchOf) {
      addTo(batches, l, n);
      addTo(inverse, l, 1 / n);
    }
  }
  const avgOf = (m: Map<string, { total: number; n: number }>) => Object.fromEntries([...m].map(([k, s]) => [k, s.total / s.n]));
  return {
    all: stats(kept.map(({ r, at: t }) => t - r.sentAt)),
    perLayer: Object.fromEntries([...byLayer].map(([l, v]) => [l, stats(v)])),
    segmentsMs: avgOf(segSums),
    utilisation: Object.fromEntries(
      [...cpus].map(([g, c]) => [g, span && spanMs > 0 ? (c.busy - (span.busy.get(g) ?? 0)) / (spanMs * c.cores) : NaN]),
    ),
    throughputPerSecond: span && spanMs > 0 ? (kept.length / spanMs) * 1000 : NaN,
    meanBatch: avgOf(batches),
    itemsPerBatch: Object.fromEntries(Object.entries(avgOf(inverse)).map(([l, x]) => [l, 1 / x])),
    predictMs: avgOf(predict),
  };
}
