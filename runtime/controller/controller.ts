/**
 * The adaptive controller's process loop (I/O around decide.ts): every window it scrapes the workers' /metrics,
 * measures produce round trips to each layer's cluster (a small record; a larger one now and then for the WAN
 * bandwidth), decides, and writes each layer's `settings/<layer>` record to the control topic on that layer's own
 * cluster, so a layer cut off by the WAN still gets its settings from its own side. A layer whose write fails is
 * written again next window until its cluster acknowledges. Every change is logged with its reason.
 *
 * It runs next to the first layer (the edge): that is the side that must act when the WAN goes down.
 */
import { Kafka, type Admin, type KafkaConfig, type Producer } from 'kafkajs';
import * as dns from 'node:dns/promises';
import * as net from 'node:net';
import type { Logger } from 'pino';
import { CONTROL_TOPIC, CONTROL_TOPIC_CONFIGS, controlKey, encodeControlValue, type LayerSettings } from '../../contracts/control';
import { clientConfig } from '../kafka/client-settings';
import { createTopics } from '../kafka/topics';
import { parsePrometheusText } from '../live/prometheus';
import type { RemoteSecurity } from '../worker/config';
import { DEFAULT_HYSTERESIS, initialState, step, type Calibration, type ControllerState, type HysteresisOptions, type LayerLoad, type Setting, type Snapshot } from './decide';
import { addScrapes, EMPTY_SCRAPE, layerWindow, summarize, wanBandwidth, type LayerScrape } from './observe';

/** Windows whose lowest WAN round trip is the link's latency without a queue (10 × 2 s: a latency change is the base in 20 s). */
const BASE_RTT_WINDOWS = 10;

export interface ControlledLayer {
  readonly name: string;
  /** the layer's cluster as the controller reaches it (across the WAN for the other layers) */
  readonly brokers: string;
  /** /metrics URLs of the layer's replicas */
  readonly metrics: readonly string[];
  /** TLS + SASL to this layer's cluster (another layer's WAN listener). @default PLAINTEXT */
  readonly security?: RemoteSecurity | null;
}

export interface ControllerOptions {
  /** first = where devices send (the edge), last = the final exit */
  readonly layers: readonly ControlledLayer[];
  readonly calibration: Calibration;
  /**
   * /metrics URLs of the standby worker with the whole model (its input is the first layer's relay topic): with it,
   * and the calibration's `inputBytes`, cloud-only is a candidate once that worker has predicted at least once.
   */
  readonly wholeModel?: { readonly metrics: readonly string[] };
  /** the setting the continuum starts on (the workers' configured values) */
  readonly initial: Setting;
  /** @default 2000 */
  readonly windowMs?: number;
  readonly hysteresis?: HysteresisOptions;
  /** @default ddnn.control */
  readonly controlTopic?: string;
  /** topic the round-trip probes are written to, on every cluster. @default ddnn.probe */
  readonly probeTopic?: string;
  /** a probe slower than this counts as lost (WAN down). @default 2000 */
  readonly probeTimeoutMs?: number;
  /** bytes of the bandwidth probe, sent every `bandwidthEvery` windows. @default 131072, 5 */
  readonly bandwidthProbeBytes?: number;
  readonly bandwidthEvery?: number;
  readonly log: Logger;
  /** every window, for the scenario's record of decisions */
  readonly onWindow?: (w: WindowRecord) => void;
}

export interface WindowRecord {
  readonly snapshot: Snapshot;
  readonly setting: Setting;
  readonly change: { readonly from: Setting; readonly to: Setting; readonly reason: string } | null;
  /** observed share answered at the first layer; WAN bytes/s the forwards moved */
  readonly edgeShare: number | null;
  readonly wanBytesPerSec: number;
}

export interface ControllerHandle {
  readonly state: () => ControllerState;
  stop(): Promise<void>;
}

interface Cluster {
  readonly layer: ControlledLayer;
  readonly kafka: Kafka;
  readonly producer: Producer;
  readonly admin: Admin;
  /** the settings this layer should have, until its cluster acknowledges them */
  pending: LayerSettings | null;
  writing: boolean;
}

/**
 * A metrics URL whose host name has several addresses (a headless Service: one per replica) stands for each of
 * them, so every replica is scraped once per window and their counters add up.
 */
export async function everyAddress(url: string): Promise<string[]> {
  const u = new URL(url);
  if (net.isIP(u.hostname.replace(/^\[|\]$/g, '')) !== 0 || u.hostname === 'localhost') return [url];
  try {
    const addresses = await dns.lookup(u.hostname, { all: true });
    if (addresses.length <= 1) return [url];
    return addresses.map((a) => {
      const v = new URL(url);
      v.hostname = a.family === 6 ? `[${a.address}]` : a.address;
      return v.toString();
    });
  } catch {
    return [url]; // the scrape reports the failure
  }
}

const timeout = <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> =>
  Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())]);

/**
 * The settings record each layer gets for a setting: edge-only moves only the first layer's threshold to 0;
 * cloud-only only tells the first layer to relay (the others are not reached while it lasts). A record replaces the
 * layer's last one, so leaving cloud-only (any other record: `relay` absent) stops the relay.
 */
export function layerSettings(setting: Setting, layer: string, layers: readonly string[], reason: string, at: number): LayerSettings | null {
  const base = { issuedAt: at, by: 'controller', reason: reason.slice(0, 1000) };
  if (setting.placement === 'cloud-only') return layer === layers[0] ? { relay: true, ...base } : null;
  if (setting.placement === 'edge-only') return layer === layers[0] ? { threshold: 0, batchMaxWaitMs: setting.batchMaxWaitMs, ...base } : null;
  return { threshold: setting.threshold, featuresDtype: setting.featuresDtype, batchMaxWaitMs: setting.batchMaxWaitMs, ...base };
}

export async function startController(opts: ControllerOptions): Promise<ControllerHandle> {
  const { log } = opts;
  if (opts.layers.length < 2) throw new Error('controller: at least two layers (the first and the last exit) are needed');
  const controlTopic = opts.controlTopic ?? CONTROL_TOPIC;
  const probeTopic = opts.probeTopic ?? 'ddnn.probe';
  const windowMs = opts.windowMs ?? 2000;
  const probeTimeoutMs = opts.probeTimeoutMs ?? 2000;
  const names = opts.layers.map((l) => l.name);

  const clusters: Cluster[] = [];
  for (const layer of opts.layers) {
    const config: KafkaConfig = { ...clientConfig(`ddnn-controller-${layer.name}`, layer.brokers), requestTimeout: probeTimeoutMs * 2 };
    if (layer.security?.caPem) config.ssl = { ca: [layer.security.caPem] };
    if (layer.security?.sasl) config.sasl = layer.security.sasl as KafkaConfig['sasl'];
    const kafka = new Kafka(config);
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    const admin = kafka.admin();
    await producer.connect();
    await admin.connect();
    const brokers = (await admin.describeCluster()).brokers.length;
    await createTopics(admin, [{ name: controlTopic, partitions: 1, configs: { ...CONTROL_TOPIC_CONFIGS } }, { name: probeTopic, partitions: 1, configs: { 'retention.ms': '60000' } }], brokers);
    clusters.push({ layer, kafka, producer, admin, pending: null, writing: false });
  }

  /** produce round trip of `bytes` to a cluster, in ms; null when it did not finish within the probe timeout */
  async function probe(c: Cluster, bytes: number): Promise<number | null> {
    const t0 = performance.now();
    const r = await timeout(
      c.producer.send({ topic: probeTopic, acks: 1, messages: [{ key: 'probe', value: Buffer.alloc(bytes) }] }).then(
        () => 'ok' as const,
        () => 'failed' as const,
      ),
      probeTimeoutMs,
    );
    return r === 'ok' ? performance.now() - t0 : null;
  }

  async function scrape(layer: ControlledLayer): Promise<LayerScrape> {
    let total = EMPTY_SCRAPE;
    for (const url of (await Promise.all(layer.metrics.map(everyAddress))).flat()) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
        total = addScrapes(total, summarize(parsePrometheusText(await res.text())));
      } catch (e) {
        log.warn({ event: 'scrape-failed', url, err: (e as Error).message }, 'metrics scrape failed');
      }
    }
    return total;
  }

  function write(c: Cluster): void {
    if (!c.pending || c.writing) return;
    const value = c.pending;
    c.writing = true;
    void timeout(c.producer.send({ topic: controlTopic, acks: -1, messages: [{ key: controlKey('settings', c.layer.name), value: encodeControlValue(value) }] }), probeTimeoutMs * 2)
      .then((r) => {
        if (r === 'timeout') throw new Error('timed out');
        if (c.pending === value) c.pending = null;
        log.info({ event: 'settings-written', layer: c.layer.name, settings: value }, 'control record acknowledged');
      })
      .catch((e) => log.warn({ event: 'settings-write-failed', layer: c.layer.name, err: (e as Error).message }, 'control record not acknowledged; written again next window'))
      .finally(() => (c.writing = false));
  }

  let state = initialState(opts.initial, Date.now());
  const whole: ControlledLayer | null = opts.wholeModel ? { name: 'whole-model', brokers: '', metrics: opts.wholeModel.metrics } : null;
  const watched = whole ? [...opts.layers, whole] : [...opts.layers];
  let prev = await Promise.all(watched.map(scrape));
  let prevAt = performance.now();
  // Until a layer predicts in a window, its lifetime average stands for it (the warm-up's batches, say).
  let loads: (LayerLoad | null)[] = prev.map((p) => (p.predictCount > 0 ? layerWindow(EMPTY_SCRAPE, p, 1, null).load : null));
  let bandwidth: number | null = null;
  const bwSamples: number[] = [];
  /** the small probe's round trips of the last windows: their minimum is the link's latency without a queue */
  const recentRtts: number[] = [];
  let windows = 0;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let busy = false;

  async function tick(): Promise<void> {
    windows++;
    const first = clusters[0];
    const last = clusters[clusters.length - 1];
    const [localRtt, wanRtt] = await Promise.all([probe(first, 16), probe(last, 16)]);
    if (wanRtt !== null && windows % (opts.bandwidthEvery ?? 5) === 1) {
      const bytes = opts.bandwidthProbeBytes ?? 128 * 1024;
      const big = await probe(last, bytes);
      // The extra time of the big record over the small one is its transfer (queued behind the forwards: a
      // conservative estimate under load). Median of the last three.
      if (big !== null && big > wanRtt + 1) {
        bwSamples.push((bytes - 16) / ((big - wanRtt) / 1000));
        if (bwSamples.length > 3) bwSamples.shift();
        bandwidth = [...bwSamples].sort((a, b) => a - b)[Math.floor(bwSamples.length / 2)];
      }
    }
    const cur = await Promise.all(watched.map(scrape));
    const now = performance.now();
    const seconds = (now - prevAt) / 1000;
    const all = watched.map((_, i) => layerWindow(prev[i], cur[i], seconds, loads[i]));
    prev = cur;
    prevAt = now;
    loads = all.map((x, i) => (cur[i].predictCount > 0 ? x.load : null));
    const w = all.slice(0, opts.layers.length);
    const wholeLoad = whole ? loads[opts.layers.length] : null;
    const baseRttMs = recentRtts.length > 0 ? Math.min(...recentRtts) : null;
    const wanBandwidthNow = wanBandwidth({ probed: bandwidth, carried: w[0].wanBytesPerSec, rttMs: wanRtt, baseRttMs });
    if (wanRtt !== null) {
      recentRtts.push(wanRtt);
      if (recentRtts.length > BASE_RTT_WINDOWS) recentRtts.shift();
    }
    // Every layer after the first counts as "the cloud side": their predict times add up on a forwarded request.
    const rest = w.slice(1);
    const snapshot: Snapshot = {
      at: Date.now(),
      requestRate: w[0].rate,
      edge: w[0].load,
      cloud: { predictMs: rest.reduce((n, x) => n + x.load.predictMs, 0), batchSize: rest[rest.length - 1].load.batchSize, lag: rest.reduce((n, x) => n + x.load.lag, 0) },
      wanRttMs: wanRtt,
      wanBandwidth: wanBandwidthNow,
      localRttMs: localRtt ?? 0,
      wholeModel: wholeLoad,
    };
    const d = step(state, snapshot, opts.calibration, opts.hysteresis ?? DEFAULT_HYSTERESIS);
    state = d.state;
    if (d.change) {
      log.info({ event: 'controller-change', from: d.change.from, to: d.change.to, reason: d.change.reason, snapshot }, `controller: ${d.change.reason}`);
      for (const c of clusters) {
        const s = layerSettings(d.change.to, c.layer.name, names, d.change.reason, snapshot.at);
        if (s) c.pending = s;
      }
    }
    for (const c of clusters) write(c);
    opts.onWindow?.({ snapshot, setting: state.current, change: d.change, edgeShare: w[0].answeredShare, wanBytesPerSec: w[0].wanBytesPerSec });
  }

  const timer = setInterval(() => {
    if (stopped || busy) return; // a window whose probes time out runs long: skip, never queue windows
    busy = true;
    running = tick()
      .catch((e) => log.error({ event: 'controller-window-failed', err: e }, 'window failed'))
      .finally(() => (busy = false));
  }, windowMs);
  log.info({ event: 'controller-started', layers: names, windowMs, initial: opts.initial }, 'controller deciding');

  return {
    state: () => state,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await timeout(running, probeTimeoutMs * 3);
      for (const c of clusters) {
        await c.producer.disconnect().catch(() => undefined);
        await c.admin.disconnect().catch(() => undefined);
      }
    },
  };
}
