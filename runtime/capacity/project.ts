/**
 * The paper's setup projected (pure): the profiles fitted on a local run, moved onto separate machines per layer
 * with the paper's node sizes (§5.2), at 1…4 partitions = worker replicas, as Figs. 8–9 (average response time,
 * continuum vs cloud-only; speed-ups early exits / total), beside the paper's numbers.
 *
 * Assumptions, each overridable:
 * - Cloud: GKE, 3 nodes, 6 vCPUs in all → one CPU group of 6 cores shared by brokers, ZooKeeper, MirrorMaker 2 and
 *   workers (the cloud-only baseline gets the same 6).
 * - Edge: i7-4790 (4 cores), i5-7400 (4), i7-10700 (8) → 16 cores. Devices: 5 PCs with an i7-4790 each → 20 cores.
 *   One group per layer, not per node: the model does not place pods on nodes.
 * - Per-core speed: our service times unscaled (factor 1) on both layers. A GKE vCPU is a hyperthread of a server
 *   core like the EPYC vCPU we measure on; the edge PCs' desktop cores are if anything faster per thread, so 1 is
 *   conservative for the edge.
 * - WAN: Málaga ↔ europe-west1 (St. Ghislain, Belgium), ~1,700 km: 36 ms RTT (18 ms one-way) assumed, about
 *   twice the fibre propagation time; 100 Mbit/s. Neither the paper nor the field notes state the link.
 * - A real link costs no CPU of a WAN emulator; bytes per request are ours (uint8 images, float16 features), not
 *   the authors' JSON lists (PAPER.authorsImageBytes).
 * - Base latencies (client polls, acks) are the fitted local ones.
 */
import { simulate } from './model';
import type { Profile, SimResult } from './types';

export interface PaperHardware {
  readonly edgeCores: number;
  readonly cloudCores: number;
  readonly deviceCores: number;
  /** Service-time divisor per layer (2: twice as fast per core as where the profile was fitted). */
  readonly edgeSpeed: number;
  readonly cloudSpeed: number;
  readonly wanOneWayMs: number;
  readonly wanBandwidthMbps: number;
  readonly devices: number;
  readonly brokers: number;
}

export const PAPER_HARDWARE: PaperHardware = {
  edgeCores: 16,
  cloudCores: 6,
  deviceCores: 20,
  edgeSpeed: 1,
  cloudSpeed: 1,
  wanOneWayMs: 18,
  wanBandwidthMbps: 100,
  devices: 5,
  brokers: 3,
};

/** The paper's Figs. 8–9 as far as its text gives numbers: the figures' bars are not in the text we hold. */
export interface PaperPoint {
  readonly speedUpEarlyExits: number | null;
  readonly speedUpTotal: number | null;
  readonly statement: string;
}

export const PAPER_FIGS_8_9: Readonly<Record<number, PaperPoint>> = {
  1: { speedUpEarlyExits: null, speedUpTotal: null, statement: '§5.2: with 1 partition the total average Edge response time is higher (than cloud-only)' },
  2: { speedUpEarlyExits: null, speedUpTotal: null, statement: '§5.2: with two partitions, lower response latency than the Cloud-only architecture' },
  3: { speedUpEarlyExits: null, speedUpTotal: null, statement: 'not stated in the text' },
  4: { speedUpEarlyExits: 23, speedUpTotal: 8, statement: '§5.2, Fig. 9: best result, 23× early exits, 8× total' },
};

export interface ProjectedPoint {
  readonly partitions: number;
  readonly continuum: { readonly avg: number; readonly p50: number; readonly p95: number; readonly exitAvg: number };
  readonly cloudOnly: { readonly avg: number; readonly p50: number; readonly p95: number };
  readonly speedUpEarlyExits: number;
  readonly speedUpTotal: number;
  readonly utilisation: { readonly continuum: Readonly<Record<string, number>>; readonly cloudOnly: Readonly<Record<string, number>> };
  readonly paper: PaperPoint;
}

/** A fitted profile on the paper's machines: each layer its own group, CPU demands ÷ the layer's speed. */
export function onPaperHardware(p: Profile, partitions: number, hw: PaperHardware = PAPER_HARDWARE): Profile {
  const layers = p.layers.map((l, i) => {
    const cloud = i === p.layers.length - 1;
    const speed = cloud ? hw.cloudSpeed : hw.edgeSpeed;
    return {
      ...l,
      group: cloud ? 'cloud' : 'edge',
      replicas: partitions,
      brokers: hw.brokers,
      predict: { fixedMs: l.predict.fixedMs / speed, perItemMs: l.predict.perItemMs / speed },
      kafkaHopMs: l.kafkaHopMs / speed,
      mirrorMs: l.mirrorMs / speed,
    };
  });
  return {
    ...p,
    groups: { edge: hw.edgeCores, cloud: hw.cloudCores, devices: hw.deviceCores },
    layers,
    devices: { ...p.devices, group: 'devices' },
    wan: { ...p.wan, oneWayMs: hw.wanOneWayMs, bandwidthMbps: hw.wanBandwidthMbps, cpuPerCrossingMs: 0, group: 'cloud' },
    arrival: { kind: 'closed', devices: hw.devices },
  };
}

export function projectPaper(
  fitted: { readonly continuum: Profile; readonly cloudOnly: Profile },
  options: { readonly hardware?: PaperHardware; readonly partitions?: readonly number[]; readonly seed?: number; readonly requests?: number } = {},
): ProjectedPoint[] {
  const hw = options.hardware ?? PAPER_HARDWARE;
  const sim = (p: Profile): SimResult => simulate(p, { seed: options.seed ?? 1, requests: options.requests ?? 8000 });
  return (options.partitions ?? [1, 2, 3, 4]).map((partitions) => {
    const c = sim(onPaperHardware(fitted.continuum, partitions, hw));
    const b = sim(onPaperHardware(fitted.cloudOnly, partitions, hw));
    const exitAvg = c.perLayer[fitted.continuum.layers[0].name]?.avg ?? NaN;
    return {
      partitions,
      continuum: { avg: c.all.avg, p50: c.all.p50, p95: c.all.p95, exitAvg },
      cloudOnly: { avg: b.all.avg, p50: b.all.p50, p95: b.all.p95 },
      speedUpEarlyExits: b.all.avg / exitAvg,
      speedUpTotal: b.all.avg / c.all.avg,
      utilisation: { continuum: c.utilisation, cloudOnly: b.utilisation },
      paper: PAPER_FIGS_8_9[partitions] ?? { speedUpEarlyExits: null, speedUpTotal: null, statement: 'not in the paper' },
    };
  });
}
