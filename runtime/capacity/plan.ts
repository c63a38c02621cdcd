/**
 * Sizing (pure): the smallest deployment the model says meets a p95 target for an open-loop load.
 *
 * Search rule: each layer runs on its own CPU group (its brokers, ZooKeeper, MirrorMaker 2 and workers); devices
 * run on their own machines. For each layer the floor is the cores its CPU demand needs at 90 % utilisation
 * (predict amortised over full batches), rounded up to 0.5. Candidates scale every floor by 1, 1.25, 1.5, … (×6 at
 * most), rounded up to 0.5 core; within a candidate, partitions (= worker replicas per layer, one topic layout for
 * all layers) go up from the fewest whose workers can keep up, until the p95 stops improving. The first candidate
 * in (total cores, partitions) order whose simulated p95 ≤ target is the answer. Brokers stay the environment's
 * (its replication factor needs them); the model charges their work to the layer's CPU, so more brokers would only
 * add CPU, not capacity.
 * Not reachable: when even unlimited CPU and replicas (zero load) give a p95 above the target, the answer says so
 * and names the floor (WAN round trip + predict + base latencies of a forwarded request).
 */
import { expectedVisits, simulate } from './model';
import type { LayerProfile, Profile } from './types';

export interface PlanRequest {
  readonly devices: number;
  readonly ratePerDevice: number;
  readonly p95Ms: number;
  /** The environment's layers in chain order, with their brokers. */
  readonly layers: ReadonlyArray<{ readonly name: string; readonly brokers: number }>;
  readonly arrival?: 'poisson' | 'constant';
  readonly maxPartitions?: number;
}

export interface PlannedLayer {
  readonly name: string;
  readonly cores: number;
  readonly partitions: number;
  readonly workerReplicas: number;
  readonly brokers: number;
  readonly utilisation: number;
}

export interface PlanResult {
  readonly reachable: boolean;
  readonly reason: string;
  readonly layers: readonly PlannedLayer[];
  readonly predicted: { readonly p50: number; readonly p95: number; readonly avg: number } | null;
  /** The zero-load floor: unlimited CPU and replicas. */
  readonly floor: { readonly p50: number; readonly p95: number; readonly forwardedMs: number };
  readonly offeredPerSecond: number;
  /** Cores per layer at 90 % utilisation (the search's first candidate); null when not searched. */
  readonly coreFloors: Readonly<Record<string, number>> | null;
  readonly candidatesSimulated: number;
  readonly rule: string;
}

export const PLAN_RULE =
  'per-layer core floor at 90 % utilisation × 1, 1.25, 1.5, … (0.5-core steps); partitions upward until p95 stops improving; first (total cores, partitions) meeting p95 wins';

const roundUp = (v: number, step: number) => Math.max(step, Math.ceil(v / step - 1e-9) * step);

/** CPU ms per request each layer's group spends, with predict amortised over full batches (a lower bound). */
export function cpuPerRequest(p: Profile): Record<string, number> {
  const visits = expectedVisits(p);
  const out: Record<string, number> = {};
  for (const l of p.layers) {
    const perItem = l.predict.fixedMs / l.maxBatch + l.predict.perItemMs;
    out[l.name] =
      (visits[`kafka:${l.name}`] ?? 0) * l.kafkaHopMs + (visits[`mirror:${l.name}`] ?? 0) * l.mirrorMs + (visits[`worker:${l.name}`] ?? 0) * perItem;
  }
  return out;
}

function configure(p: Profile, req: PlanRequest, cores: Record<string, number>, partitions: number): Profile {
  const layers: LayerProfile[] = p.layers.map((l, i) => ({ ...l, group: l.name, replicas: partitions, brokers: req.layers[i].brokers }));
  return {
    ...p,
    groups: { ...cores, devices: req.devices },
    layers,
    devices: { ...p.devices, group: 'devices' },
    wan: { ...p.wan, cpuPerCrossingMs: 0, group: layers[layers.length - 1].name },
    arrival: { kind: req.arrival ?? 'poisson', devices: req.devices, ratePerDevice: req.ratePerDevice },
  };
}

export function plan(fitted: Profile, req: PlanRequest, options: { readonly seed?: number; readonly requests?: number } = {}): PlanResult {
  if (fitted.run === 'cloud-only') throw new Error('plan: needs a continuum profile (direct or mirrored), not cloud-only');
  const names = (ls: ReadonlyArray<{ name: string }>) => ls.map((l) => l.name).join(', ');
  if (names(req.layers) !== names(fitted.layers)) {
    throw new Error(`plan: the environment's layers (${names(req.layers)}) differ from the profile's (${names(fitted.layers)}): fit a profile on a run of the same chain`);
  }
  for (const [k, v] of [['devices', req.devices], ['rate', req.ratePerDevice], ['p95-ms', req.p95Ms]] as const) {
    if (!(v > 0)) throw new Error(`plan: --${k} (${v}) must be > 0`);
  }
  const profile = fitted;
  const seed = options.seed ?? 1;
  const requests = options.requests ?? Math.max(3000, 15 * req.devices);
  const offered = req.devices * req.ratePerDevice;
  const run = (p: Profile) => simulate(p, { seed, requests });

  // Zero load: one device at a trickle with effectively unlimited CPU and replicas.
  const huge = Object.fromEntries(profile.layers.map((l) => [l.name, 1e6]));
  const idle = run({ ...configure(profile, req, huge, 64), arrival: { kind: 'poisson', devices: 1, ratePerDevice: 0.1 } });
  const last = profile.layers[profile.layers.length - 1].name;
  const floor = { p50: idle.all.p50, p95: idle.all.p95, forwardedMs: idle.perLayer[last]?.avg ?? NaN };
  const base = { offeredPerSecond: offered, floor, rule: PLAN_RULE, coreFloors: null };
  if (floor.p95 > req.p95Ms) {
    const rtt = 2 * profile.wan.oneWayMs;
    return {
      ...base,
      reachable: false,
      reason: `not reachable: even with unlimited CPU and replicas the p95 is ${floor.p95.toFixed(1)} ms > ${req.p95Ms} ms; ${(1 - profile.exitShare) * 100 > 5 ? `more than 5 % of requests (${((1 - profile.exitShare) * 100).toFixed(0)} %) go to the ${last}, a forwarded request takes ${floor.forwardedMs.toFixed(1)} ms at zero load, of which the WAN round trip alone is ${rtt.toFixed(0)} ms` : 'the exit layer alone is too slow'}`,
      layers: [],
      predicted: null,
      candidatesSimulated: 1,
    };
  }

  const demand = cpuPerRequest(profile);
  const floors = Object.fromEntries(profile.layers.map((l) => [l.name, roundUp((offered * demand[l.name]) / 1000 / 0.9, 0.5)]));
  const visits = expectedVisits(profile);
  // A replica serves at most maxBatch requests per predict(maxBatch) even with a core to itself.
  const minPartitions = Math.max(
    1,
    ...profile.layers.map((l) => {
      const perReplica = (1000 * l.maxBatch) / (l.predict.fixedMs + l.predict.perItemMs * l.maxBatch);
      return Math.ceil((offered * (visits[`worker:${l.name}`] ?? 0)) / perReplica / 0.9);
    }),
  );
  const maxPartitions = req.maxPartitions ?? 64;
  let simulated = 1;
  for (let step = 0; step <= 20; step++) {
    const scale = 1 + 0.25 * step;
    const cores = Object.fromEntries(Object.entries(floors).map(([k, v]) => [k, roundUp(v * scale, 0.5)]));
    let bestP95 = Infinity;
    let worse = 0;
    for (let partitions = Math.min(minPartitions, maxPartitions); partitions <= maxPartitions; partitions++) {
      const sim = run(configure(profile, req, cores, partitions));
      simulated++;
      if (sim.all.p95 <= req.p95Ms) {
        return {
          ...base,
          coreFloors: floors,
          reachable: true,
          reason: `smallest configuration found (${simulated} simulated)`,
          layers: profile.layers.map((l, i) => ({
            name: l.name,
            cores: cores[l.name],
            partitions,
            workerReplicas: partitions,
            brokers: req.layers[i].brokers,
            utilisation: sim.utilisation[l.name],
          })),
          predicted: { p50: sim.all.p50, p95: sim.all.p95, avg: sim.all.avg },
          candidatesSimulated: simulated,
        };
      }
      if (sim.all.p95 < bestP95 * 0.98) {
        bestP95 = sim.all.p95;
        worse = 0;
      } else if (++worse >= 2) break;
    }
  }
  return {
    ...base,
    coreFloors: floors,
    reachable: false,
    reason: `not reached within ${(1 + 0.25 * 20).toFixed(2)}× the per-layer core floors and ${maxPartitions} partitions (zero-load p95 ${floor.p95.toFixed(1)} ms)`,
    layers: [],
    predicted: null,
    candidatesSimulated: simulated,
  };
}
