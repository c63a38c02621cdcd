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
