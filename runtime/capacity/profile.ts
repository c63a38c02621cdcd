/**
 * Fitting a capacity profile from a measured run (pure). The measured shapes below are the parts of the main job's
 * ExperimentReport (runtime/continuum/report.ts) the fit reads, declared here because runtime/capacity comes
 * before runtime/continuum; an ExperimentReport is assignable to `MeasuredReport`.
 *
 * How a profile is fitted from one report and one run (direct, mirrored or cloud-only):
 * 1. CPU budgets: the report's cpu.budgets when the run was isolated (cgroup or taskset), each layer its own group;
 *    without isolation one `host` group with the host's cores that every process shares.
 * 2. CPU service demand per visit: each component's measured CPU per request (cpu table, summed over its layer and
 *    kind) ÷ the visits a request makes to it in the model (`expectedVisits`: e.g. the edge cluster is visited
 *    by the request, by the answer of an edge exit and twice by a forwarded request's round trip). Without a cpu
 *    table, defaults from bench:worker (DEFAULT_CPU) stand in and the fit says so.
 * 3. Predict: CPU per batch = u × (f + (1 − f) × n), f from bench:worker (PREDICT_FIXED_SHARE). u is solved so the
 *    worker's CPU per request matches the cpu table at the simulated items per batch; without the table, so the
 *    simulated predict wall time matches the report's "of which <layer> predict".
 * 4. Base latency per segment (what CPU and WAN do not explain: client polls, loopback, acks): iterated,
 *    base ← base + measured segment avg − simulated segment avg, at the measured load (same devices, same arrival),
 *    so the queueing the model predicts at that load is not counted twice. Worker segments are not fitted: their
 *    queueing is what the model predicts. Cloud-only runs have no breakdown: the total is fitted, half per direction.
 * 5. Jitter: per answering path (exit, forwarded), the coefficient of variation of the base delays that best
 *    matches that path's measured p50 and p95 (sum of relative errors; report's responseTimeMs.perLayer).
 * Steps 4–5 use the fitted set's segment averages and per-layer p95: a self-fit matches those by construction;
 * only predictions for other sets (validate's cross-fit) test the model.
 */
import { expectedVisits, simulate } from './model';
import type { LayerProfile, PredictCost, Profile, RunKind, SimResult } from './types';

export interface MeasuredStats {
  readonly count: number;
  readonly avg: number;
  readonly p50: number;
  readonly p95: number;
}

export interface MeasuredCpuRun {
  readonly run: string;
  readonly requests: number;
  readonly components: ReadonlyArray<{ readonly layer: string; readonly kind: string; readonly perRequestMs: number }>;
}

export interface MeasuredCpu {
  readonly isolation: 'cgroup-v1' | 'taskset' | 'none';
  readonly budgets: Readonly<Record<string, number>>;
  readonly runs: readonly MeasuredCpuRun[];
}

export interface MeasuredEarlyExit {
  readonly transport: 'direct' | 'mirrored';
  readonly exitShare: number;
  readonly responseTimeMs: { readonly all: MeasuredStats; readonly perLayer: Readonly<Record<string, MeasuredStats>> };
  readonly breakdownMs: Readonly<Record<string, ReadonlyArray<{ readonly segment: string; readonly avgMs: number }>>>;
  readonly wanBytesPerRequest: { readonly up: number; readonly down: number };
  readonly throughputPerSecond: number;
}

export interface MeasuredReport {
  readonly setup: {
    readonly env: string;
    readonly layers: readonly string[];
    readonly devices: number;
    readonly brokersPerLayer: number;
    readonly partitions: number;
    readonly wan: { readonly latencyMs: number; readonly bandwidthMbps: number | null };
    readonly ratePerDevice: number | null;
    readonly host: string;
  };
  readonly cloudOnly: {
    readonly responseTimeMs: MeasuredStats;
    readonly wanBytesPerRequest: { readonly up: number; readonly down: number };
    readonly throughputPerSecond: number;
  };
  readonly earlyExit: readonly MeasuredEarlyExit[];
  readonly cpu?: MeasuredCpu;
}

/**
 * bench:worker (results/worker-throughput-2026-11-30T17-44-15-601Z.json, edge sub-model, tensorflow): a batch of
 * 1 took 4.4 ms (model p50, wait 0), batches of 16 ran at 1298 img/s (12.3 ms): 3.9 + 0.53 n ms, so the fixed part
 * is 0.88 of a batch of one. Used for every layer's shape; the scale is fitted per layer.
 */
export const PREDICT_FIXED_SHARE = 0.88;

/** CPU per visit when the report has no cpu table (older reports), from bench:worker's per-image CPU. */
export const DEFAULT_CPU = {
  /** Broker CPU per forwarded image, 1 broker (bench:worker saturation.forward: 0.285 ms); × brokers for replication. */
  kafkaHopPerBrokerMs: 0.285,
  mirrorMs: 0.5,
  devicesMs: 0.3,
  wanLinkMs: 0,
} as const;

export const MAX_BATCH = 16;

export interface FitInfo {
  readonly from: string;
  readonly run: RunKind;
  readonly cpuSource: 'cpu table' | 'defaults (report has no cpu table for this run)';
  readonly isolation: string;
  readonly iterations: number;
  /** Simulated − measured, after the fit, per segment and for all requests (ms). */
  readonly residualMs: Readonly<Record<string, number>>;
  readonly sim: SimResult;
}

export interface FitOptions {
  readonly seed?: number;
  readonly requests?: number;
  readonly iterations?: number;
}

const hostCores = (host: string) => Number(/(\d+)\s*CPU/.exec(host)?.[1] ?? 2);

/** The measured segment averages over all answered requests (the report splits them per answering layer). */
export function measuredSegments(run: MeasuredEarlyExit): Record<string, number> {
  const sums = new Map<string, { total: number; n: number }>();
  for (const [layer, segments] of Object.entries(run.breakdownMs)) {
    const weight = run.responseTimeMs.perLayer[layer]?.count ?? 0;
    for (const s of segments) {
      const acc = sums.get(s.segment) ?? { total: 0, n: 0 };
      acc.total += s.avgMs * weight;
      acc.n += weight;
      sums.set(s.segment, acc);
    }
  }
  return Object.fromEntries([...sums].filter(([, s]) => s.n > 0).map(([k, s]) => [k, s.total / s.n]));
}

const predictSegment = (layer: string) => `  of which ${layer} predict`;

function earlyExitRun(report: MeasuredReport, transport: 'direct' | 'mirrored'): MeasuredEarlyExit {
  const run = report.earlyExit.find((e) => e.transport === transport);
  if (!run) throw new Error(`report for ${report.setup.env} has no ${transport} run (runs: ${report.earlyExit.map((e) => e.transport).join(', ') || 'none'})`);
  return run;
}

/** Predict cost with scale u: u × (f + (1 − f) n). */
const predictCost = (u: number): PredictCost => ({ fixedMs: u * PREDICT_FIXED_SHARE, perItemMs: u * (1 - PREDICT_FIXED_SHARE) });

/** The profile before fitting: budgets, path, bytes, CPU per visit (from the cpu table or defaults), base 0. */
function initialProfile(report: MeasuredReport, run: RunKind): { profile: Profile; cpuRun: MeasuredCpuRun | undefined } {
  const s = report.setup;
  const isolated = report.cpu && report.cpu.isolation !== 'none';
  const groups: Record<string, number> = isolated ? { ...report.cpu!.budgets } : { host: hostCores(s.host) };
  const groupOf = (layer: string) => (isolated ? layer : 'host');
  for (const g of [...s.layers, 'devices'].map(groupOf)) if (!(g in groups)) groups[g] = hostCores(s.host);
  const names = run === 'cloud-only' ? [s.layers[s.layers.length - 1]] : [...s.layers];
  const exitShare = run === 'cloud-only' ? 0 : earlyExitRun(report, run).exitShare;
  const forwarded = Math.max(1e-9, 1 - exitShare);
  const bytes = run === 'cloud-only' ? report.cloudOnly.wanBytesPerRequest : earlyExitRun(report, run).wanBytesPerRequest;
  const layers: LayerProfile[] = names.map((name) => ({
    name,
    group: groupOf(name),
    replicas: s.partitions,
    brokers: s.brokersPerLayer,
    maxBatch: MAX_BATCH,
    predict: predictCost(5),
    kafkaHopMs: DEFAULT_CPU.kafkaHopPerBrokerMs * s.brokersPerLayer,
    mirrorMs: DEFAULT_CPU.mirrorMs,
  }));
  const profile: Profile = {
    run,
    groups,
    layers,
    exitShare,
    devices: { group: groupOf('devices'), cpuPerRequestMs: DEFAULT_CPU.devicesMs },
    wan: {
      oneWayMs: s.wan.latencyMs,
      bandwidthMbps: s.wan.bandwidthMbps,
      // Only forwarded requests cross the WAN: bytes per crossing, not per request sent.
      upBytes: bytes.up / (run === 'cloud-only' ? 1 : forwarded),
      downBytes: bytes.down / (run === 'cloud-only' ? 1 : forwarded),
      cpuPerCrossingMs: DEFAULT_CPU.wanLinkMs,
      group: groupOf(names[names.length - 1]),
    },
    baseMs: {},
    jitterCv: { exit: 0.5, forward: 0.5 },
    arrival: s.ratePerDevice === null ? { kind: 'closed', devices: s.devices } : { kind: 'poisson', devices: s.devices, ratePerDevice: s.ratePerDevice },
  };
  const cpuRun = report.cpu?.runs.find((r) => r.run === run);
  if (!cpuRun) return { profile, cpuRun };
  // CPU per request per tag ÷ visits per request = CPU per visit.
  const visits = expectedVisits(profile);
  const perRequest = (pred: (c: MeasuredCpuRun['components'][number]) => boolean) =>
    cpuRun.components.filter(pred).reduce((sum, c) => sum + c.perRequestMs, 0);
  const perVisit = (total: number, tag: string) => (visits[tag] ? total / visits[tag] : 0);
  const wanLink = perRequest((c) => c.kind === 'wan-link');
  const wanGroup = cpuRun.components.find((c) => c.kind === 'wan-link')?.layer;
  return {
    cpuRun,
    profile: {
      ...profile,
      layers: layers.map((l) => ({
        ...l,
        kafkaHopMs: perVisit(perRequest((c) => c.layer === l.name && (c.kind === 'broker' || c.kind === 'zookeeper')), `kafka:${l.name}`),
        mirrorMs: perVisit(perRequest((c) => c.layer === l.name && c.kind === 'mirror-maker'), `mirror:${l.name}`),
      })),
      devices: { ...profile.devices, cpuPerRequestMs: perRequest((c) => c.kind === 'devices') },
      wan: {
        ...profile.wan,
        cpuPerCrossingMs: (visits['wan:up'] ?? 0) + (visits['wan:down'] ?? 0) > 0 ? wanLink / ((visits['wan:up'] ?? 0) + (visits['wan:down'] ?? 0)) : 0,
        group: wanGroup && wanGroup in groups ? wanGroup : profile.wan.group,
      },
    },
  };
}

/** Worker CPU per request that visits the layer, from the cpu table. */
function workerCpuPerItem(profile: Profile, cpuRun: MeasuredCpuRun, layer: string): number {
  const visits = expectedVisits(profile)[`worker:${layer}`] ?? 1;
  const total = cpuRun.components.filter((c) => c.layer === layer && c.kind === 'worker').reduce((s, c) => s + c.perRequestMs, 0);
  return total / visits;
}

const scalePredict = (l: LayerProfile, k: number): LayerProfile => ({ ...l, predict: { fixedMs: l.predict.fixedMs * k, perItemMs: l.predict.perItemMs * k } });

const withLayers = (p: Profile, f: (l: LayerProfile, i: number) => LayerProfile): Profile => ({ ...p, layers: p.layers.map(f) });

/** Fits a profile to one run of a report; see the file comment for how. Cloud-only needs no early-exit run unless its predict cost must come from one. */
export function profileFromReport(report: MeasuredReport, run: RunKind, options: FitOptions = {}): { profile: Profile; fit: FitInfo } {
  const seed = options.seed ?? 1;
  const requests = options.requests ?? 3000;
  const iterations = options.iterations ?? 6;
  const { profile: initial, cpuRun } = initialProfile(report, run);
  let profile = initial;

  const measured: Record<string, number> =
    run === 'cloud-only' ? {} : measuredSegments(earlyExitRun(report, run));
  const measuredAll = run === 'cloud-only' ? report.cloudOnly.responseTimeMs : earlyExitRun(report, run).responseTimeMs.all;
  // Cloud-only without a cpu table: the full model's predict ≈ the early-exit run's edge + cloud predict (the same
  // layers in one piece), fitted from whichever continuum run the report has.
  if (run === 'cloud-only' && !cpuRun) {
    const continuum = report.earlyExit[0];
    if (continuum) {
      const fitted = profileFromReport(report, continuum.transport, { ...options, iterations: Math.min(iterations, 4) }).profile;
      const fixedMs = fitted.layers.reduce((s, l) => s + l.predict.fixedMs, 0);
      const perItemMs = fitted.layers.reduce((s, l) => s + l.predict.perItemMs, 0);
      profile = withLayers(profile, (l) => ({ ...l, predict: { fixedMs, perItemMs } }));
    }
  }
  const fitSegments = Object.keys(measured).filter((k) => !k.startsWith('  of which') && !k.endsWith('(queue, batch, predict)'));
  const cloudOnlyBase = [`device → ${profile.layers[0].name} worker`, `${profile.layers[0].name} worker → device`];

  const step = (p: Profile, sim: SimResult): Profile => {
    const base: Record<string, number> = { ...p.baseMs };
    let layers = p.layers.map((l) => {
      if (cpuRun) {
        const m = sim.itemsPerBatch[l.name] ?? 1;
        const u = workerCpuPerItem(p, cpuRun, l.name) / (PREDICT_FIXED_SHARE / m + (1 - PREDICT_FIXED_SHARE));
        return { ...l, predict: predictCost(u) };
      }
      const want = measured[predictSegment(l.name)];
      const got = sim.predictMs[l.name];
      if (!(want > 0) || !(got > 0)) return l;
      return scalePredict(l, want / got);
    });
    if (run !== 'cloud-only') {
      for (const k of fitSegments) base[k] = Math.max(0, (base[k] ?? 0) + measured[k] - (sim.segmentsMs[k] ?? 0));
      return { ...p, baseMs: base, layers };
    }
    const gap = (measuredAll.avg - sim.all.avg) / 2;
    const atZero = cloudOnlyBase.every((k) => (base[k] ?? 0) + gap <= 0);
    for (const k of cloudOnlyBase) base[k] = Math.max(0, (base[k] ?? 0) + gap);
    // Faster than the borrowed predict cost allows even with no base latency: that cost (measured under the
    // continuum run's contention) is too high for this run, so scale it down to close the gap.
    const wall = sim.predictMs[layers[0].name];
    if (!cpuRun && atZero && wall > 0) layers = [scalePredict(layers[0], Math.max(0.1, (wall + 2 * gap) / wall))];
    return { ...p, baseMs: base, layers };
  };

  let sim = simulate(profile, { seed, requests });
  for (let i = 0; i < iterations; i++) {
    profile = step(profile, sim);
    sim = simulate(profile, { seed, requests });
  }
  // Jitter: per answering path, the cv whose p95 is closest to that path's measured p95; then settle the bases again.
  const exitLayer = profile.layers[0].name;
  const lastLayer = profile.layers[profile.layers.length - 1].name;
  const measuredAt = (layer: string): MeasuredStats =>
    run === 'cloud-only' ? measuredAll : earlyExitRun(report, run).responseTimeMs.perLayer[layer] ?? measuredAll;
  const best = { exit: { cv: 0.5, err: Infinity }, forward: { cv: 0.5, err: Infinity } };
  for (const cv of [0, 0.25, 0.5, 0.75, 1, 1.5]) {
    const s = simulate({ ...profile, jitterCv: { exit: cv, forward: cv } }, { seed, requests });
    for (const [path, layer] of [['exit', exitLayer], ['forward', lastLayer]] as const) {
      // Relative misfit of the path's median and tail together: fitting the tail alone let a very skewed
      // jitter pull the median far below the measured one.
      const m = measuredAt(layer);
      const got = s.perLayer[layer];
      const err = got ? Math.abs(got.p95 - m.p95) / m.p95 + Math.abs(got.p50 - m.p50) / m.p50 : NaN;
      if (err < best[path].err) best[path] = { cv, err };
    }
  }
  profile = { ...profile, jitterCv: { exit: best.exit.cv, forward: best.forward.cv } };
  sim = simulate(profile, { seed, requests });
  for (let i = 0; i < 2; i++) {
    profile = step(profile, sim);
    sim = simulate(profile, { seed, requests });
  }

  const residualMs: Record<string, number> = { all: sim.all.avg - measuredAll.avg };
  for (const k of Object.keys(measured)) {
    const simulated = k.startsWith('  of which') ? sim.predictMs[k.replace('  of which ', '').replace(' predict', '')] : sim.segmentsMs[k];
    if (simulated !== undefined) residualMs[k] = simulated - measured[k];
  }
  return {
    profile,
    fit: {
      from: `${report.setup.env} p${report.setup.partitions}`,
      run,
      cpuSource: cpuRun ? 'cpu table' : 'defaults (report has no cpu table for this run)',
      isolation: report.cpu?.isolation ?? 'none',
      iterations: iterations + 2,
      residualMs,
      sim,
    },
  };
}

/**
 * The profile of a fitted run applied to another setup: its partitions (= replicas), brokers, devices, arrival and
 * WAN. CPU demands, base latencies, jitter, bytes and exit share stay the fitted ones (what a prediction knows).
 */
export function retarget(
  profile: Profile,
  setup: Pick<MeasuredReport['setup'], 'partitions' | 'brokersPerLayer' | 'devices' | 'ratePerDevice' | 'wan'>,
): Profile {
  return {
    ...withLayers(profile, (l) => ({ ...l, replicas: setup.partitions, brokers: setup.brokersPerLayer })),
    wan: { ...profile.wan, oneWayMs: setup.wan.latencyMs, bandwidthMbps: setup.wan.bandwidthMbps },
    arrival:
      setup.ratePerDevice === null
        ? { kind: 'closed', devices: setup.devices }
        : { kind: 'poisson', devices: setup.devices, ratePerDevice: setup.ratePerDevice },
  };
}
