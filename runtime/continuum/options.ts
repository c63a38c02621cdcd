/**
 * The main job's options: parsed and validated once (zod) from the command line into a typed object.
 * Defaults are the embedded default of `npm start`: the `local` environment, both transports, the bundled sample,
 * a WAN close to the paper's Málaga → Belgium link.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

export const REPO_ROOT = path.resolve(__dirname, '../..');

/** 300 test images (the first 300 records of the official CIFAR-10 test batch, bit-identical), committed. */
export const BUNDLED_SAMPLE_DIR = path.join(REPO_ROOT, 'runtime/continuum/sample/cifar10');
/** The full data set beside the repository (CI clones the repo with shared/ next to it). */
export const SHARED_CIFAR10_DIR = path.resolve(REPO_ROOT, '../shared/data/cifar10');
/** The shipped partitioned model (models/): one folder per placement, one sub-folder per layer. */
export const DEFAULT_MODEL_DIR = path.join(REPO_ROOT, 'models/trained/compact-branchynet/partitions');

/** `--model`: a shipped model's name (models/trained/<name>/partitions, e.g. vgg16-branchynet) or a partitioned model root. */
export function resolveModelDir(model: string, exists: (p: string) => boolean = existsSync): string {
  const shipped = path.join(REPO_ROOT, 'models/trained', model, 'partitions');
  return /^[a-z0-9][a-z0-9-]*$/.test(model) && exists(shipped) ? shipped : model;
}

/**
 * Default WAN: Málaga (edge, paper's testbed) → Google Cloud europe-west1 (Belgium) is ≈ 1,600 km; public
 * measurements between Spain and Belgium give ≈ 30 ms RTT. 100 Mbit/s stands in for a university uplink share.
 */
export const DEFAULT_WAN = { latencyMs: 15, bandwidthMbps: 100 } as const;

const positiveInt = (name: string) =>
  z.coerce.number({ invalid_type_error: `${name} must be a number` }).int(`${name} must be an integer`).positive(`${name} must be ≥ 1`);

export const TransportChoice = z.enum(['direct', 'mirrored', 'both']);
export type TransportChoice = z.infer<typeof TransportChoice>;

/** `--cpu layer=cores,…`: CPU budgets per group (the environment's layers and `devices`). */
export const CpuFlag = z
  .string()
  .regex(/^[a-z0-9-]+=\d+(\.\d+)?(,[a-z0-9-]+=\d+(\.\d+)?)*$/, '--cpu must look like edge=0.8,cloud=1,devices=0.2')
  .transform((s) => Object.fromEntries(s.split(',').map((kv) => [kv.split('=')[0], Number(kv.split('=')[1])])))
  .refine((b) => Object.values(b).every((v) => v >= 0.05), '--cpu budgets must be ≥ 0.05 cores each');

export const RunOptionsSchema = z
  .object({
    env: z.string().min(1).default('local'),
    transport: TransportChoice.default('both'),
    data: z.string().min(1).optional(),
    full: z.boolean().default(false),
    images: positiveInt('--images').optional(),
    devices: positiveInt('--devices').optional(),
    /** shard: device i sends images i, i+N, … (each image once); same: every device sends every image. */
    split: z.enum(['shard', 'same']).default('shard'),
    rate: z.coerce.number().positive('--rate must be > 0 requests/s per device').optional(),
    threshold: z.coerce.number().min(0, '--threshold must be within 0..1').max(1, '--threshold must be within 0..1').optional(),
    wanLatency: z.coerce.number().min(0, '--wan-latency must be ≥ 0 ms').default(DEFAULT_WAN.latencyMs),
    wanBandwidth: z.coerce.number().min(0, '--wan-bandwidth must be ≥ 0 Mbit/s (0 = unlimited)').default(DEFAULT_WAN.bandwidthMbps),
    model: z.string().min(1).default(DEFAULT_MODEL_DIR),
    out: z.string().min(1).optional(),
    baseline: z.boolean().default(true),
    backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
    /** TensorFlow intra-/inter-op threads per worker process: local replicas share the machine's cores. */
    tfThreads: z.coerce.number().int().min(1, '--tf-threads must be ≥ 1').max(64).default(1),
    /** Encoding of the feature maps the edge forwards. */
    features: z.enum(['float32', 'float16', 'int8']).default('float16'),
    /** `layer=cores,…`: overrides the environment's localCpu budgets (names: its layers and `devices`). */
    cpu: CpuFlag.optional(),
    /** false: every process on every core (the numbers then measure one shared machine, not the paper's setup). */
    cpuBudgets: z.boolean().default(true),
    progress: z.boolean().default(true),
    /** Serve the live view (runtime/live) on 127.0.0.1 while the experiment runs; restarts a worker replica that dies. */
    live: z.boolean().default(false),
    /** Port of the live view; 0 = any free port. */
    livePort: z.coerce.number().int().min(0, '--live-port must be within 0..65535').max(65535, '--live-port must be within 0..65535').default(0),
    /** Requests per run sent before measuring (warm connections and models), not in the report. */
    warmup: z.coerce.number().int().min(0, '--warmup must be ≥ 0').default(50),
    /** Time allowed for the last answers once every request is sent. */
    drainTimeoutS: z.coerce.number().positive().default(60),
  })
  .strict();

export type RunOptionsInput = z.input<typeof RunOptionsSchema>;
export type RunOptions = z.output<typeof RunOptionsSchema> & { dataDir: string; dataLabel: string; transports: Array<'direct' | 'mirrored'> };

export class OptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptionsError';
  }
}

/** Validates the options and resolves the data set: --data, else --full (../shared), else the bundled sample. */
export function parseRunOptions(input: Record<string, unknown>, exists: (p: string) => boolean = existsSync): RunOptions {
  const r = RunOptionsSchema.safeParse(input);
  if (!r.success) {
    throw new OptionsError(r.error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown option(s): ${i.keys.join(', ')}` : i.message)).join('\n'));
  }
  const o = r.data;
  if (o.data && o.full) throw new OptionsError('--data and --full are exclusive: --full reads ../shared/data/cifar10');
  let dataDir: string;
  let dataLabel: string;
  if (o.data) {
    dataDir = path.resolve(o.data);
    dataLabel = dataDir;
  } else if (o.full) {
    if (!exists(path.join(SHARED_CIFAR10_DIR, 'test_batch.bin'))) {
      throw new OptionsError(`--full reads ${SHARED_CIFAR10_DIR}/test_batch.bin, which is missing; give the directory with --data <dir>`);
    }
    dataDir = SHARED_CIFAR10_DIR;
    dataLabel = 'CIFAR-10 test set (../shared/data/cifar10)';
  } else {
    dataDir = BUNDLED_SAMPLE_DIR;
    dataLabel = 'bundled sample (first 300 CIFAR-10 test images)';
  }
  if (!exists(path.join(dataDir, 'test_batch.bin'))) {
    throw new OptionsError(`no CIFAR-10 test set in ${dataDir}: expected test_batch.bin (binary layout, 3073 bytes per record)`);
  }
  const transports: Array<'direct' | 'mirrored'> = o.transport === 'both' ? ['direct', 'mirrored'] : [o.transport];
  return { ...o, model: resolveModelDir(o.model, exists), dataDir, dataLabel, transports };
}

/** Megabits per second → bytes per second for the WAN link; 0 means unlimited. */
export function bandwidthBytesPerSec(mbps: number): number | undefined {
  return mbps > 0 ? (mbps * 1e6) / 8 : undefined;
}
