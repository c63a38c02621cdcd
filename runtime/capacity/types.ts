/**
 * The capacity model's inputs (pure data): what each layer's CPU can do, what one request costs where, the fixed
 * latencies the CPU does not explain, the WAN and the arrival process. `profile.ts` fits one from a measured report;
 * `model.ts` simulates it.
 */

/** How requests arrive: a closed loop (each device sends its next request when answered) or an open loop. */
export type Arrival =
  | { readonly kind: 'closed'; readonly devices: number }
  | { readonly kind: 'poisson' | 'constant'; readonly devices: number; readonly ratePerDevice: number };

/** Batch predict CPU time: `fixedMs + perItemMs × n` for a batch of n (one thread: it uses at most one core). */
export interface PredictCost {
  readonly fixedMs: number;
  readonly perItemMs: number;
}

export interface LayerProfile {
  readonly name: string;
  /** The CPU group (key of Profile.groups) its brokers, ZooKeeper, MirrorMaker 2 and workers run in. */
  readonly group: string;
  /** Worker replicas = partitions of its input topic; a request goes to one of them at random (keyed by request id). */
  readonly replicas: number;
  readonly brokers: number;
  /** A free worker takes up to this many queued requests as one batch. */
  readonly maxBatch: number;
  readonly predict: PredictCost;
  /** CPU of the layer's Kafka (brokers incl. replication, ZooKeeper) per produce → fetch hop through it. */
  readonly kafkaHopMs: number;
  /** CPU of the MirrorMaker 2 that copies into this layer, per message copied (mirrored transport only). */
  readonly mirrorMs: number;
}

/** Which of the main job's runs this is: the continuum over each transport, or the cloud-only baseline. */
export type RunKind = 'direct' | 'mirrored' | 'cloud-only';

export interface Profile {
  readonly run: RunKind;
  /** CPU cores per group (a layer's budget, `devices`, or one `host` group when nothing is isolated). */
  readonly groups: Readonly<Record<string, number>>;
  /** Layers in chain order; the exit is at the first one (cloud-only: the one layer runs the full model). */
  readonly layers: readonly LayerProfile[];
  /** Share of requests answered at the first layer's exit (0 for cloud-only). */
  readonly exitShare: number;
  readonly devices: { readonly group: string; readonly cpuPerRequestMs: number };
  readonly wan: {
    readonly oneWayMs: number;
    /** null: no bandwidth limit (no serialisation delay). */
    readonly bandwidthMbps: number | null;
    /** Bytes one request sends up (features, or the image for cloud-only) and one answer sends down. */
    readonly upBytes: number;
    readonly downBytes: number;
    /** CPU of the WAN emulation (a local proxy process) per crossing, in `group`; 0 on a real link. */
    readonly cpuPerCrossingMs: number;
    readonly group: string;
  };
  /** Zero-load time per path segment that CPU and WAN do not explain (client polls, loopback, acks), ms. */
  readonly baseMs: Readonly<Record<string, number>>;
  /**
   * Coefficient of variation of those base delays (gamma-distributed; 0: constant), for requests the exit layer
   * answers and for forwarded ones (cloud-only: forward).
   */
  readonly jitterCv: { readonly exit: number; readonly forward: number };
  readonly arrival: Arrival;
}

export interface SimOptions {
  readonly seed?: number;
  /** Requests measured after the warm-up. @default 4000 */
  readonly requests?: number;
  /** Requests left out at the start. @default 10 % of requests, at least 50 */
  readonly warmup?: number;
}

export interface SimStats {
  readonly count: number;
  readonly avg: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

export interface SimResult {
  readonly all: SimStats;
  /** Per answering layer (the exit layer's answers, the last layer's). */
  readonly perLayer: Readonly<Record<string, SimStats>>;
  /** Average time per path segment, named as the report's `breakdownMs`. */
  readonly segmentsMs: Readonly<Record<string, number>>;
  /** Busy cores / cores per CPU group over the measured span. */
  readonly utilisation: Readonly<Record<string, number>>;
  readonly throughputPerSecond: number;
  /** Mean batch size per layer (request-weighted: the batch a request was in). */
  readonly meanBatch: Readonly<Record<string, number>>;
  /**
   * Items per batch run (batch-weighted mean; 1 / the request-weighted mean of 1/n): a batch's fixed CPU per
   * request is fixedMs / this, not fixedMs / meanBatch (which is larger by Jensen's inequality).
   */
  readonly itemsPerBatch: Readonly<Record<string, number>>;
  /** Average predict wall time per request per layer (the report's "of which <layer> predict"). */
  readonly predictMs: Readonly<Record<string, number>>;
}
