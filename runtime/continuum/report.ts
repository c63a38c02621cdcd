/**
 * The experiment report (pure): raw device records of the early-exit run(s) and of the cloud-only baseline over the
 * same images → the measures of the paper's §5.2, with the paper's numbers beside ours.
 */
import type { CpuReport } from './cpu-usage';
import { PAPER, PaperNumbers } from './paper';
import type { AnsweredRecord } from '../../contracts/records';
import { collect } from '../collector/collect';
import type { RunRecords, WanBytes } from './records';
import { latencyStats, LatencyStats, ratio } from './stats';

export type Transport = 'direct' | 'mirrored';

/** How the run was set up: echoed into the report so every figure says where it comes from. */
export interface ExperimentSetup {
  readonly env: string;
  /** Layers in chain order; the first one holds the early exit the paper measures (`edge`). */
  readonly layers: readonly string[];
  readonly threshold: number;
  readonly devices: number;
  readonly images: number;
  readonly brokersPerLayer: number;
  /** Partitions of the worker input topics = worker replicas per layer. */
  readonly partitions: number;
  readonly wan: { readonly latencyMs: number; readonly bandwidthMbps: number | null };
  /** Requests per second per device, or null for closed loop (send the next image when the answer arrives). */
  readonly ratePerDevice: number | null;
  /** How images are spread over devices. @default 'shard' */
  readonly split?: 'shard' | 'same';
  readonly dataset: string;
  readonly model: string;
  readonly modelVersion: string;
  readonly backend: string;
  /** TensorFlow threads per worker process, and the forwarded features' encoding */
  readonly tfThreads?: number;
  readonly features?: string;
  readonly host: string;
  /** 1-, 5- and 15-minute load averages when the run started: figures taken on a busy machine are noise */
  readonly loadAverage?: readonly number[];
}

export interface ExperimentInput {
  readonly setup: ExperimentSetup;
  readonly earlyExit: ReadonlyArray<{ readonly transport: Transport; readonly run: RunRecords }>;
  readonly cloudOnly: RunRecords;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** CPU budgets and what each component used (absent in reports from before CPU groups) */
  readonly cpu?: CpuReport;
}

/** Is every request answered exactly once? */
export interface Delivery {
  readonly sent: number;
  /** Distinct requests answered. */
  readonly answered: number;
  readonly unanswered: number;
  /** Answers beyond the first for the same request id (must be 0). */
  readonly duplicates: number;
}

export interface WanPerRequest {
  readonly up: number;
  readonly down: number;
  readonly total: number;
}

export interface CloudOnlySummary {
  readonly delivery: Delivery;
  readonly accuracy: number;
  readonly responseTimeMs: LatencyStats;
  readonly wanBytesPerRequest: WanPerRequest;
  readonly throughputPerSecond: number;
}

export interface EarlyExitSummary {
  readonly transport: Transport;
  readonly delivery: Delivery;
  /** Accuracy over all answered requests, each answered by whichever exit took it. */
  readonly globalAccuracy: number;
  readonly answeredPerLayer: Readonly<Record<string, number>>;
  readonly exitLayer: string;
  /** Share of answered requests answered at the exit layer. */
  readonly exitShare: number;
  /** Accuracy of the exit layer's answers. */
  readonly exitAccuracyOnExitSet: number;
  /** Accuracy of the full model (cloud-only run) on the same images. */
  readonly fullModelAccuracyOnExitSet: number;
  /** Share of exit answers that match the full model's prediction for the same image. */
  readonly exitAgreementWithFullModel: number;
  readonly responseTimeMs: {
    readonly perLayer: Readonly<Record<string, LatencyStats>>;
    readonly all: LatencyStats;
    /** Cloud-only response times of the requests for the images this run answered at the exit (Fig. 7's 2nd set). */
    readonly cloudOnlyOnExitSet: LatencyStats;
  };
  readonly speedUp: {
    /** Cloud-only average / exit-answered average (the paper's "speed-up for early exits"). */
    readonly earlyExits: number;
    /** Cloud-only average / average over all requests (the paper's "total Edge response time" speed-up). */
    readonly total: number;
    readonly earlyExitsP50: number;
    readonly totalP50: number;
  };
  /** Where the time goes, per answering layer: average of each segment of the path (see `timeBreakdown`). */
  readonly breakdownMs: Readonly<Record<string, readonly Segment[]>>;
  /** 1 − all.avg / cloudOnly.avg: the abstract's "improvement of the response time". */
  readonly responseTimeImprovement: number;
  readonly wanBytesPerRequest: WanPerRequest;
  readonly throughputPerSecond: number;
}

/** One segment of a request's path and its average duration over the requests that have it. */
export interface Segment {
  readonly segment: string;
  readonly avgMs: number;
}

export interface ExperimentReport {
  readonly kind: 'continuum-experiment';
  readonly formatVersion: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly setup: ExperimentSetup;
  readonly cloudOnly: CloudOnlySummary;
  readonly earlyExit: readonly EarlyExitSummary[];
  /** CPU budgets per layer and what each component used per request (runtime/continuum/cpu-usage.ts) */
  readonly cpu?: CpuReport;
  readonly paper: PaperNumbers;
}

/** Keeps the first answer per request id: a duplicate answer must not count twice in any measure. */
function firstAnswers(records: readonly AnsweredRecord[]): { unique: AnsweredRecord[]; duplicates: number } {
  const seen = new Set<string>();
  const unique: AnsweredRecord[] = [];
  for (const r of records) {
    if (seen.has(r.requestId)) continue;
    seen.add(r.requestId);
    unique.push(r);
  }
  return { unique, duplicates: records.length - unique.length };
}

function delivery(run: RunRecords, unique: number, duplicates: number): Delivery {
  return { sent: run.sent, answered: unique, unanswered: Math.max(0, run.sent - unique), duplicates: duplicates + (run.duplicateAnswers ?? 0) };
}

function accuracy(records: readonly AnsweredRecord[]): number {
  return records.length === 0 ? NaN : records.filter((r) => r.predicted === r.label).length / records.length;
}

function wanPerRequest(bytes: WanBytes, requests: number): WanPerRequest {
  return {
    up: ratio(bytes.up, requests),
    down: ratio(bytes.down, requests),
    total: ratio(bytes.up + bytes.down, requests),
  };
}

function summarizeCloudOnly(run: RunRecords): CloudOnlySummary {
  const { unique, duplicates } = firstAnswers(run.records);
  return {
    delivery: delivery(run, unique.length, duplicates),
    accuracy: accuracy(unique),
    responseTimeMs: latencyStats(unique.map((r) => r.responseMs)),
    wanBytesPerRequest: wanPerRequest(run.wanBytes, run.sent),
    throughputPerSecond: ratio(unique.length, run.durationMs / 1000),
  };
}

function summarizeEarlyExit(
  transport: Transport,
  run: RunRecords,
  layers: readonly string[],
  cloudOnly: {
    summary: CloudOnlySummary;
    /** The baseline's first answer per request: the full model's prediction per image. */
    records: readonly AnsweredRecord[];
    predictionByImage: ReadonlyMap<number, number>;
    timesByImage: ReadonlyMap<number, readonly number[]>;
  },
): EarlyExitSummary {
  const { unique, duplicates } = firstAnswers(run.records);
  const exitLayer = layers[0];
  const layerNames = [...layers, ...new Set(unique.map((r) => r.layer).filter((l) => !layers.includes(l)))];
  const byLayer = new Map(layerNames.map((l) => [l, unique.filter((r) => r.layer === l)]));
  const exitSet = byLayer.get(exitLayer) ?? [];
  // §5.2's measures (accuracy, share per layer, the full model on the same images) come from the collector, the
  // pipeline the devices' CLI uses too; the report adds agreement, speed-ups, WAN bytes and where the time goes.
  const measures = collect(unique, { fullModel: cloudOnly.records, layerOrder: layers });
  const exit = measures.layers.find((l) => l.layer === exitLayer);
  // The full model's answer for each exit-answered image, from the baseline run over the same images.
  const matched = exitSet.filter((r) => cloudOnly.predictionByImage.has(r.imageId));
  const fullPrediction = (r: AnsweredRecord) => cloudOnly.predictionByImage.get(r.imageId) as number;
  const all = latencyStats(unique.map((r) => r.responseMs));
  const exitTimes = latencyStats(exitSet.map((r) => r.responseMs));
  const base = cloudOnly.summary.responseTimeMs;
  return {
    transport,
    delivery: delivery(run, unique.length, duplicates),
    globalAccuracy: measures.accuracy,
    answeredPerLayer: Object.fromEntries(layerNames.map((l) => [l, measures.layers.find((x) => x.layer === l)?.answered ?? 0])),
    exitLayer,
    exitShare: exit?.share ?? ratio(0, unique.length),
    exitAccuracyOnExitSet: exit?.accuracy ?? NaN,
    fullModelAccuracyOnExitSet: exit?.fullModelAccuracy ?? NaN,
    exitAgreementWithFullModel: ratio(matched.filter((r) => fullPrediction(r) === r.predicted).length, matched.length),
    responseTimeMs: {
      perLayer: Object.fromEntries(layerNames.map((l) => [l, latencyStats(byLayer.get(l)!.map((r) => r.responseMs))])),
      all,
      cloudOnlyOnExitSet: latencyStats([...new Set(exitSet.map((r) => r.imageId))].flatMap((id) => cloudOnly.timesByImage.get(id) ?? [])),
    },
    speedUp: {
      earlyExits: ratio(base.avg, exitTimes.avg),
      total: ratio(base.avg, all.avg),
      earlyExitsP50: ratio(base.p50, exitTimes.p50),
      totalP50: ratio(base.p50, all.p50),
    },
    responseTimeImprovement: Number.isFinite(ratio(all.avg, base.avg)) ? 1 - all.avg / base.avg : NaN,
    breakdownMs: Object.fromEntries(layerNames.map((l) => [l, timeBreakdown(byLayer.get(l)!)])),
    wanBytesPerRequest: wanPerRequest(run.wanBytes, run.sent),
    throughputPerSecond: ratio(unique.length, run.durationMs / 1000),
  };
}

/**
 * Splits response times into the path's segments, from the worker hop timestamps (one machine, one clock):
 * device → first worker (produce, broker, fetch), each worker's time (queue + micro-batch + predict; `predict` is the
 * batch's model time), worker → next worker (across the WAN or MirrorMaker 2), last worker → device.
 * Requests without hops (e.g. from an older worker) are left out.
 */
export function timeBreakdown(records: readonly AnsweredRecord[]): Segment[] {
  const withHops = records.filter((r) => r.hops.length > 0);
  if (withHops.length === 0) return [];
  const sums = new Map<string, { total: number; n: number }>();
  const add = (segment: string, ms: number) => {
    const s = sums.get(segment) ?? { total: 0, n: 0 };
    s.total += ms;
    s.n += 1;
    sums.set(segment, s);
  };
  for (const r of withHops) {
    const hops = r.hops;
    add(`device → ${hops[0].layer} worker`, hops[0].inAt - r.sentAt);
    hops.forEach((h, i) => {
      add(`${h.layer} worker (queue, batch, predict)`, h.outAt - h.inAt);
      add(`  of which ${h.layer} predict`, h.modelMs);
      if (i + 1 < hops.length) add(`${h.layer} → ${hops[i + 1].layer} worker`, hops[i + 1].inAt - h.outAt);
    });
    const last = hops[hops.length - 1];
    add(`${last.layer} worker → device`, r.sentAt + r.responseMs - last.outAt);
  }
  return [...sums].map(([segment, { total, n }]) => ({ segment, avgMs: total / n }));
}

export function buildReport(input: ExperimentInput): ExperimentReport {
  if (input.setup.layers.length < 2) {
    throw new Error(`setup.layers (${input.setup.layers.join(',')}) must name at least two layers: an exit layer and the last one`);
  }
  const summary = summarizeCloudOnly(input.cloudOnly);
  const predictionByImage = new Map<number, number>();
  const timesByImage = new Map<number, number[]>();
  const baseline = firstAnswers(input.cloudOnly.records).unique;
  for (const r of baseline) {
    if (!predictionByImage.has(r.imageId)) predictionByImage.set(r.imageId, r.predicted);
    timesByImage.set(r.imageId, [...(timesByImage.get(r.imageId) ?? []), r.responseMs]);
  }
  return {
    kind: 'continuum-experiment',
    formatVersion: 1,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    setup: input.setup,
    cloudOnly: summary,
    earlyExit: input.earlyExit.map(({ transport, run }) =>
      summarizeEarlyExit(transport, run, input.setup.layers, { summary, records: baseline, predictionByImage, timesByImage }),
    ),
    ...(input.cpu ? { cpu: input.cpu } : {}),
    paper: PAPER,
  };
}
