/**
 * The adaptive controller's decision (pure): from what the continuum measured over the last window and what the
 * calibration says about the model, the setting with the lowest predicted p95 response time whose overall
 * accuracy stays within the budget of the last exit alone — with hysteresis, so noisy input does not flap.
 *
 * Cost model, in the spirit of Neurosurgeon / Edgent / SPINN: a request answered at the edge costs the edge path;
 * one forwarded costs edge + WAN (feature bytes / bandwidth, queued behind the other forwards, + round trip) +
 * cloud. The p95 of that mixture is the slow path's whenever more than 5 % of requests are forwarded.
 */

export type FeaturesDtype = 'float32' | 'float16' | 'int8';
export const DTYPES: readonly FeaturesDtype[] = ['float32', 'float16', 'int8'];

/**
 * Where requests are answered. `split`: the model's placement as deployed (early exits, the rest forwarded);
 * `edge-only`: every request answered at the first layer's exit (its threshold 0) — what a WAN outage needs;
 * `cloud-only`: the first layer relays each raw request unprocessed to a worker with the whole model (a standby
 * beside the last layer) — what a slow edge with a good WAN needs. Only offered where that worker exists.
 */
export type Placement = 'split' | 'edge-only' | 'cloud-only';

/** One threshold of the calibration sweep (npm run calibrate, max-softmax, the deployed placement). */
export interface CalibrationPoint {
  readonly threshold: number;
  /** share answered at the first exit */
  readonly edgeShare: number;
  readonly overallAccuracy: number;
}

export interface Calibration {
  /** accuracy of the last exit alone: the reference of the budget */
  readonly finalExitAccuracy: number;
  /** e.g. 0.01: overall accuracy may be at most this much below the last exit's */
  readonly accuracyBudget: number;
  readonly points: readonly CalibrationPoint[];
  /** bytes of one forwarded feature map per encoding; encodings absent here are not chosen */
  readonly featureBytes: Readonly<Partial<Record<FeaturesDtype, number>>>;
  /** accuracy change of the forwarded requests per encoding (calibrate's features table); 0 when unknown */
  readonly encodingDelta?: Readonly<Partial<Record<FeaturesDtype, number>>>;
  /** bytes of one raw request (a device's frame) crossing the WAN when relayed; no cloud-only without it */
  readonly inputBytes?: number;
  /** accuracy of the whole model; @default finalExitAccuracy (the same network without its early exits) */
  readonly wholeModelAccuracy?: number;
}

/** What one window measured (means over the window; null = not measured this window). */
export interface Snapshot {
  /** epoch ms at the end of the window */
  readonly at: number;
  /** requests per second entering the first layer */
  readonly requestRate: number;
  /** mean predict time per micro-batch and mean samples per batch, per layer role */
  readonly edge: LayerLoad;
  readonly cloud: LayerLoad | null;
  /** produce round trip to the cloud's cluster across the WAN (small record); null = it timed out: WAN down */
  readonly wanRttMs: number | null;
  /** estimated WAN bandwidth, bytes/s each way; null = unknown (then the byte term is left out) */
  readonly wanBandwidth: number | null;
  /** produce round trip to the edge's own cluster */
  readonly localRttMs: number;
  /** the standby worker with the whole model beside the last layer; absent/null = none, or never measured */
  readonly wholeModel?: LayerLoad | null;
}

export interface LayerLoad {
  readonly predictMs: number;
  readonly batchSize: number;
  /** records behind on the input topic (summed over partitions) */
  readonly lag: number;
}

export interface Setting {
  readonly placement: Placement;
  readonly threshold: number;
  readonly featuresDtype: FeaturesDtype;
  readonly batchMaxWaitMs: number;
}

export interface Prediction {
  readonly meanMs: number;
  readonly p95Ms: number;
  readonly accuracy: number;
  /** WAN utilisation by the forwards (≥ 1: the queue grows without bound) */
  readonly wanUtilisation: number;
}

export interface Candidate {
  readonly setting: Setting;
  readonly prediction: Prediction;
}

/** The share above which the slow path sets the p95 of the mixture. */
const P95_TAIL = 0.05;

/** Predicted p95s within this fraction of the lowest count as equal; the lowest mean among them wins. */
export const P95_TIE = 0.1;

function edgeServiceMs(s: Snapshot): number {
  // A request waits for the batch before it on average, then its own: 1.5 batches when the layer is busy.
  const busy = s.edge.lag > 0 ? 1.5 : 1;
  return s.edge.predictMs * busy + s.localRttMs;
}

/** Expected response time (mean, p95) and accuracy of a setting under the window's conditions. */
export function predict(setting: Setting, s: Snapshot, cal: Calibration): Prediction {
  if (setting.placement === 'cloud-only') return predictCloudOnly(s, cal);
  const point = pointFor(cal, setting);
  const share = point.edgeShare;
  const edgeMs = edgeServiceMs(s);
  const delta = cal.encodingDelta?.[setting.featuresDtype] ?? 0;
  const accuracy = point.overallAccuracy + (1 - share) * delta;
  if (share >= 1) return { meanMs: edgeMs, p95Ms: edgeMs, accuracy, wanUtilisation: 0 };
  if (s.wanRttMs === null || !s.cloud) return { meanMs: Infinity, p95Ms: Infinity, accuracy, wanUtilisation: Infinity };
  const bytes = cal.featureBytes[setting.featuresDtype] ?? Infinity;
  const transferMs = s.wanBandwidth ? (bytes / s.wanBandwidth) * 1000 : 0;
  const utilisation = s.wanBandwidth ? (s.requestRate * (1 - share) * bytes) / s.wanBandwidth : 0;
  const queueMs = linkQueueMs(transferMs, utilisation);
  const cloudMs = s.cloud.predictMs * (s.cloud.lag > 0 ? 1.5 : 1);
  const forwardMs = s.edge.predictMs + transferMs + queueMs + s.wanRttMs + cloudMs;
  const meanMs = share * edgeMs + (1 - share) * forwardMs;
  const p95Ms = 1 - share > P95_TAIL ? forwardMs : edgeMs;
  return { meanMs, p95Ms, accuracy, wanUtilisation: utilisation };
}

/** M/D/1 waiting time for the link: ρ / (2 (1 − ρ)) service times. */
function linkQueueMs(transferMs: number, utilisation: number): number {
  return utilisation >= 1 ? Infinity : (transferMs * utilisation) / (2 * (1 - utilisation));
}

/**
 * Relayed: a hop through the edge's cluster (no predict), the raw frame across the WAN, the whole model. The whole
 * model takes every request, so its capacity counts: per-sample time (its predict ÷ its batch size, as measured —
 * the warm-up's lone requests: conservative) × the request rate is its utilisation; at ≥ 1 it cannot keep up.
 */
function predictCloudOnly(s: Snapshot, cal: Calibration): Prediction {
  const accuracy = cal.wholeModelAccuracy ?? cal.finalExitAccuracy;
  const whole = s.wholeModel;
  const never = { meanMs: Infinity, p95Ms: Infinity, accuracy, wanUtilisation: Infinity };
  if (s.wanRttMs === null || !whole || whole.predictMs <= 0 || cal.inputBytes === undefined) return never;
  const transferMs = s.wanBandwidth ? (cal.inputBytes / s.wanBandwidth) * 1000 : 0;
  const utilisation = s.wanBandwidth ? (s.requestRate * cal.inputBytes) / s.wanBandwidth : 0;
  const perSampleMs = whole.predictMs / Math.max(1, whole.batchSize);
  const busy = (s.requestRate * perSampleMs) / 1000;
  if (busy >= 1) return { ...never, wanUtilisation: utilisation };
  const serverQueueMs = (whole.predictMs * busy) / (2 * (1 - busy));
  const ms = s.localRttMs + transferMs + linkQueueMs(transferMs, utilisation) + s.wanRttMs + whole.predictMs + serverQueueMs;
  return { meanMs: ms, p95Ms: ms, accuracy, wanUtilisation: utilisation };
}

function pointFor(cal: Calibration, setting: Setting): CalibrationPoint {
  if (setting.placement === 'edge-only') {
    const zero = cal.points.find((p) => p.threshold === 0);
    return zero ?? { threshold: 0, edgeShare: 1, overallAccuracy: Math.min(...cal.points.map((p) => p.overallAccuracy)) };
  }
  let best = cal.points[0];
  for (const p of cal.points) if (Math.abs(p.threshold - setting.threshold) < Math.abs(best.threshold - setting.threshold)) best = p;
  return best;
}

export function minAccuracy(cal: Calibration): number {
  return cal.finalExitAccuracy - cal.accuracyBudget;
}

/**
 * The micro-batch wait: 0 keeps a lone request from waiting; only a layer with a backlog and small batches
 * (per-call overhead dominating) waits for about half a predict to fill bigger batches.
 */
export function chooseBatchWait(s: Snapshot): number {
  if (s.edge.lag > 4 * Math.max(1, s.edge.batchSize) && s.edge.batchSize < 2) return Math.min(10, Math.max(1, Math.round(s.edge.predictMs / 2)));
  return 0;
}

/** Every setting worth predicting: each calibrated threshold × each encoding, edge-only, and cloud-only where a whole-model worker was measured. */
export function candidates(s: Snapshot, cal: Calibration): Candidate[] {
  const wait = chooseBatchWait(s);
  const dtypes = DTYPES.filter((d) => cal.featureBytes[d] !== undefined);
  const settings: Setting[] = [
    ...cal.points.filter((p) => p.threshold > 0).flatMap((p) => dtypes.map((featuresDtype) => ({ placement: 'split' as const, threshold: p.threshold, featuresDtype, batchMaxWaitMs: wait }))),
    { placement: 'edge-only', threshold: 0, featuresDtype: dtypes[dtypes.length - 1] ?? 'float16', batchMaxWaitMs: wait },
    ...(s.wholeModel && cal.inputBytes !== undefined ? [{ placement: 'cloud-only' as const, threshold: 1, featuresDtype: dtypes[dtypes.length - 1] ?? 'float16', batchMaxWaitMs: 0 }] : []),
  ];
  return settings.map((setting) => ({ setting, prediction: predict(setting, s, cal) }));
}

/**
 * The best setting for one window, without hysteresis. Within the budget: lowest p95, then lowest mean, then the
 * higher accuracy, then fewer WAN bytes. WAN down: edge-only whatever the budget (nothing else answers). When nothing fits the budget
 * (a calibration that cannot meet it), the most accurate split setting.
 */
export function best(s: Snapshot, cal: Calibration): { candidate: Candidate; reason: string } {
  const all = candidates(s, cal);
  const edgeOnly = all.find((c) => c.setting.placement === 'edge-only')!;
  if (s.wanRttMs === null) return { candidate: edgeOnly, reason: 'WAN down (produce round trip to the cloud timed out): every request answered at the edge' };
  const floor = minAccuracy(cal) - 1e-9;
  const bytes = (c: Candidate) => cal.featureBytes[c.setting.featuresDtype] ?? Infinity;
  const feasible = all.filter((c) => c.prediction.accuracy >= floor && Number.isFinite(c.prediction.p95Ms));
  if (feasible.length === 0) {
    const top = all.filter((c) => c.setting.placement === 'split').sort((a, b) => b.prediction.accuracy - a.prediction.accuracy)[0];
    return { candidate: top, reason: 'no setting meets the accuracy budget under these conditions: the most accurate one' };
  }
  // Near-equal p95s are a tie, broken by the mean: otherwise cloud-only (every request across the WAN) beat a split
  // that answers half the requests at the edge whenever its p95 came out a hair lower (seen on an 80 ms WAN: same
  // p95, p50 five times worse).
  const lowest = Math.min(...feasible.map((c) => c.prediction.p95Ms));
  const near = feasible.filter((c) => c.prediction.p95Ms <= lowest * (1 + P95_TIE));
  near.sort(
    (a, b) =>
      a.prediction.meanMs - b.prediction.meanMs ||
      a.prediction.p95Ms - b.prediction.p95Ms ||
      b.prediction.accuracy - a.prediction.accuracy ||
      bytes(a) - bytes(b), // fewer WAN bytes when the bandwidth is not known yet
  );
  const c = near[0];
  return { candidate: c, reason: `lowest predicted p95 within the budget (accuracy ≥ ${(minAccuracy(cal) * 100).toFixed(2)} %; p95s within ${Math.round(P95_TIE * 100)} % tie, the lowest mean wins)` };
}

export interface HysteresisOptions {
  /** a challenger must predict a p95 at least this much lower (relative) than the current setting. @default 0.1 */
  readonly margin: number;
  /** …for this many consecutive windows. @default 2 */
  readonly holdWindows: number;
  /** no change sooner than this after the last one, except into and out of a WAN outage's edge-only. @default 10000 */
  readonly minDwellMs: number;
  /** consecutive windows without a WAN round trip before the WAN counts as down (one lost probe is noise). @default 2 */
  readonly outageWindows: number;
}

export const DEFAULT_HYSTERESIS: HysteresisOptions = { margin: 0.1, holdWindows: 2, minDwellMs: 10_000, outageWindows: 2 };

export interface ControllerState {
  readonly current: Setting;
  readonly changedAt: number;
  /** the setting that has been winning, and for how many consecutive windows */
  readonly challenger: Setting | null;
  readonly wins: number;
  /** consecutive windows whose WAN probe timed out */
  readonly down: number;
}

export interface Decision {
  readonly state: ControllerState;
  /** set when the setting changes this window */
  readonly change: { readonly from: Setting; readonly to: Setting; readonly reason: string; readonly predicted: Prediction; readonly predictedBefore: Prediction } | null;
}

export function sameSetting(a: Setting, b: Setting): boolean {
  return a.placement === b.placement && a.threshold === b.threshold && a.featuresDtype === b.featuresDtype && a.batchMaxWaitMs === b.batchMaxWaitMs;
}

export function initialState(current: Setting, at: number): ControllerState {
  return { current, changedAt: at, challenger: null, wins: 0, down: 0 };
}

const fmt = (p: Prediction) => `p95 ${Number.isFinite(p.p95Ms) ? p.p95Ms.toFixed(1) : '∞'} ms, accuracy ${(p.accuracy * 100).toFixed(2)} %`;

/** One window: keep the current setting, or change it (with the reason) when the hysteresis rules allow. */
export function step(state: ControllerState, measured: Snapshot, cal: Calibration, h: HysteresisOptions = DEFAULT_HYSTERESIS): Decision {
  const down = measured.wanRttMs === null ? state.down + 1 : 0;
  // A lone lost probe is not an outage: until outageWindows in a row, the window is judged without the WAN term.
  const s = measured.wanRttMs === null && down < h.outageWindows ? null : measured;
  if (!s) return { state: { ...state, down }, change: null };
  const { candidate, reason } = best(s, cal);
  const now = predict(state.current, s, cal);
  const keep = (challenger: Setting | null, wins: number): Decision => ({ state: { ...state, challenger, wins, down }, change: null });
  const change = (why: string): Decision => ({
    state: { current: candidate.setting, changedAt: s.at, challenger: null, wins: 0, down },
    change: { from: state.current, to: candidate.setting, reason: `${why}; ${reason}: ${fmt(candidate.prediction)} (was ${fmt(now)})`, predicted: candidate.prediction, predictedBefore: now },
  });
  if (sameSetting(candidate.setting, state.current)) return keep(null, 0);
  // Safety first: an outage, or a current setting that cannot work (unbounded queue), does not wait.
  if (s.wanRttMs === null && state.current.placement !== 'edge-only') return change('WAN down');
  if (!Number.isFinite(now.p95Ms) && Number.isFinite(candidate.prediction.p95Ms)) return change('current setting cannot keep up');
  // Better: a p95 lower by the margin, or a p95 no worse than the margin allows with a mean lower by the margin (a
  // change back needs a p95 ≥ margin lower, out of reach of that band: no ping-pong on steady input).
  const p = candidate.prediction;
  const better = p.p95Ms <= now.p95Ms * (1 - h.margin) || (p.p95Ms <= now.p95Ms * (1 + h.margin) && p.meanMs <= now.meanMs * (1 - h.margin)) || now.accuracy < minAccuracy(cal) - 1e-9;
  if (!better) return keep(null, 0);
  const wins = state.challenger && sameSetting(state.challenger, candidate.setting) ? state.wins + 1 : 1;
  // Leaving edge-only once the WAN is back does not wait for the dwell: edge-only was forced, not chosen, and it
  // costs accuracy every second it lasts.
  const dwelt = s.at - state.changedAt >= h.minDwellMs || state.current.placement === 'edge-only';
  if (wins >= h.holdWindows && dwelt) return change(`better by ≥ ${Math.round(h.margin * 100)} % for ${wins} windows`);
  return keep(candidate.setting, wins);
}
