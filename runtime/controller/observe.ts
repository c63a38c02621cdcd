/**
 * From two scrapes of the workers' /metrics to one window's load per layer (pure): predict time per micro-batch
 * and samples per batch from the histograms' deltas, lag from the gauges, the entry layer's request rate, and
 * the WAN bytes the forwards moved. Replicas of a layer are summed.
 */
import type { Sample } from '../live/prometheus';
import type { LayerLoad } from './decide';

/** Counters and histogram sums of one layer, summed over its replicas, at one scrape. */
export interface LayerScrape {
  readonly requests: number;
  readonly answers: number;
  readonly forwards: number;
  readonly predictSum: number;
  readonly predictCount: number;
  readonly batchSum: number;
  readonly batchCount: number;
  readonly lag: number;
  readonly wanBytes: number;
}

export const EMPTY_SCRAPE: LayerScrape = { requests: 0, answers: 0, forwards: 0, predictSum: 0, predictCount: 0, batchSum: 0, batchCount: 0, lag: 0, wanBytes: 0 };

export function summarize(samples: readonly Sample[]): LayerScrape {
  const sum = (name: string) => samples.filter((s) => s.name === name && Number.isFinite(s.value)).reduce((n, s) => n + s.value, 0);
  return {
    requests: sum('ddnn_requests_total'),
    answers: sum('ddnn_answers_total'),
    forwards: sum('ddnn_forwards_total'),
    predictSum: sum('ddnn_predict_seconds_sum'),
    predictCount: sum('ddnn_predict_seconds_count'),
    batchSum: sum('ddnn_batch_size_sum'),
    batchCount: sum('ddnn_batch_size_count'),
    lag: sum('ddnn_consumer_lag'),
    wanBytes: sum('ddnn_wan_bytes_total'),
  };
}

export function addScrapes(a: LayerScrape, b: LayerScrape): LayerScrape {
  const out = { ...a };
  for (const k of Object.keys(out) as (keyof LayerScrape)[]) out[k] = a[k] + b[k];
  return out;
}

export interface LayerWindow {
  readonly load: LayerLoad;
  /** requests taken per second */
  readonly rate: number;
  /** share of this window's decisions that were answers (null: none) */
  readonly answeredShare: number | null;
  /** WAN bytes per second this layer's producers had acknowledged by another cluster */
  readonly wanBytesPerSec: number;
}

/**
 * One window of one layer. A window without a batch keeps the previous predict time and batch size (`previous`),
 * so an idle layer does not look free of cost; a counter that went down (a restarted replica) counts from 0.
 */
export function layerWindow(prev: LayerScrape, cur: LayerScrape, seconds: number, previous: LayerLoad | null): LayerWindow {
  const d = (k: keyof LayerScrape) => (cur[k] >= prev[k] ? cur[k] - prev[k] : cur[k]);
  const batches = d('predictCount');
  const decided = d('answers') + d('forwards');
  return {
    load: {
      predictMs: batches > 0 ? (d('predictSum') / batches) * 1000 : (previous?.predictMs ?? 0),
      batchSize: d('batchCount') > 0 ? d('batchSum') / d('batchCount') : (previous?.batchSize ?? 1),
      lag: cur.lag,
    },
    rate: seconds > 0 ? d('requests') / seconds : 0,
    answeredShare: decided > 0 ? d('answers') / decided : null,
    wanBytesPerSec: seconds > 0 ? d('wanBytes') / seconds : 0,
  };
}

export interface WanReading {
  /** bytes/s from the big-probe method (median of the recent samples), null before the first */
  readonly probed: number | null;
  /** bytes/s the WAN acknowledged for the first layer's forwards this window */
  readonly carried: number;
  /** this window's small-probe round trip, null when it timed out */
  readonly rttMs: number | null;
  /** the lowest round trip of the recent windows (the link's latency without a queue), null before the first */
  readonly baseRttMs: number | null;
}

/** Extra round trip over the base that says "a queue is building in front of the link". */
export const QUEUE_RTT_MS = 200;

/**
 * What the WAN can carry. The big probe measures it on an idle link, but once the forwards fill the link the
 * probes queue behind them: their samples go stale (a probe that times out gives none), and the controller went on
 * planning with the fast link's figure while the queue grew (the wan-drop scenario under CPU budgets: a 7.6 Mbit/s
 * estimate on a 5 Mbit/s link, 33 s before it acted). A saturated link, though, is measured by what it carries: while
 * the round trip shows a queue (timed out, or ≥ QUEUE_RTT_MS over the base), the estimate is at most the bytes per
 * second it acknowledged. Without a queue the probe stands (a link carrying little is not a slow link).
 */
export function wanBandwidth(r: WanReading): number | null {
  const queued = r.baseRttMs !== null && (r.rttMs === null || r.rttMs >= r.baseRttMs + QUEUE_RTT_MS);
  if (!queued || !(r.carried > 0)) return r.probed;
  return r.probed === null ? r.carried : Math.min(r.probed, r.carried);
}
