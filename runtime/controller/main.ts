/**
 * The adaptive controller as a process: `npm run controller -- --layer edge=127.0.0.1:9092@http://127.0.0.1:8080/metrics
 * --layer cloud=<wan brokers>@<metrics url> --calibration results/calibration/<model>-edge-cloud/calibration.json`.
 * Every flag has an env var (the Deployment sets those); the worker's DDNN_KAFKA_SASL_* / DDNN_KAFKA_TLS_CA_FILE
 * apply to every layer's cluster but the first (reached over the WAN). SIGTERM/SIGINT stop it; the continuum keeps serving on
 * the last settings it wrote (the control topic is compacted: the workers' state survives the controller).
 */
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { z } from 'zod';
import { CONTROLLER_ENV } from '../../contracts/controller-env';
import { startController, type ControlledLayer } from './controller';
import { loadCalibration } from './calibration';
import { DEFAULT_HYSTERESIS } from './decide';
import { WORKER_ENV } from '../../contracts/worker-env';
import type { RemoteSecurity } from '../worker/config';

/** `name=brokers@url1,url2` → a layer. */
export function parseLayer(spec: string): ControlledLayer {
  const m = /^([a-z0-9][a-z0-9-]{0,62})=([^@]+)@(.*)$/.exec(spec);
  if (!m) throw new Error(`--layer ${JSON.stringify(spec)}: expected <layer>=<host:port,…>@<metrics url>[,<metrics url>…]`);
  const metrics = m[3].split(',').filter(Boolean);
  for (const u of metrics) if (!/^https?:\/\//.test(u)) throw new Error(`--layer ${m[1]}: metrics URL ${JSON.stringify(u)} is not http(s)`);
  return { name: m[1], brokers: m[2], metrics };
}

/** TLS + SASL for the clusters across the WAN, from the worker's variables (same names, same meaning). */
export function securityFromEnv(env: Record<string, string | undefined>, readFile: (path: string) => string): RemoteSecurity | null {
  const username = env[WORKER_ENV.kafkaSaslUsername];
  const password = env[WORKER_ENV.kafkaSaslPassword];
  const caFile = env[WORKER_ENV.kafkaTlsCaFile];
  if (!username && !caFile) return null;
  if (!username !== !password) throw new Error(`${WORKER_ENV.kafkaSaslUsername} and ${WORKER_ENV.kafkaSaslPassword}: both or neither`);
  const mechanism = env[WORKER_ENV.kafkaSaslMechanism] ?? 'plain';
  if (mechanism !== 'plain' && mechanism !== 'scram-sha-256' && mechanism !== 'scram-sha-512') {
    throw new Error(`${WORKER_ENV.kafkaSaslMechanism} (${mechanism}): plain, scram-sha-256 or scram-sha-512`);
  }
  let caPem: string | undefined;
  if (caFile) {
    try {
      caPem = readFile(caFile);
    } catch (e) {
      throw new Error(`${WORKER_ENV.kafkaTlsCaFile}: cannot read ${caFile}: ${(e as Error).message}`);
    }
  }
  return { ...(username ? { sasl: { mechanism, username, password: password! } } : {}), ...(caPem ? { caPem } : {}) };
}

const Options = z.object({
  layer: z.array(z.string()).min(2, 'at least two --layer (the first layer and the last)'),
  calibration: z.string().min(1),
  features: z.string().optional(),
  budget: z.coerce.number().min(0).max(1).optional(),
  threshold: z.coerce.number().min(0).max(1),
  featuresDtype: z.enum(['float32', 'float16', 'int8']),
  batchMaxWaitMs: z.coerce.number().min(0).max(60_000),
  wholeModelMetrics: z
    .string()
    .transform((v) => v.split(',').map((u) => u.trim()).filter(Boolean))
    .pipe(z.array(z.string().url('must be http(s) URLs')))
    .optional(),
  inputBytes: z.coerce.number().int().positive(),
  windowMs: z.coerce.number().int().min(200).max(60_000),
  margin: z.coerce.number().min(0).max(1),
  holdWindows: z.coerce.number().int().min(1).max(100),
  minDwellMs: z.coerce.number().int().min(0),
  probeTimeoutMs: z.coerce.number().int().min(50).max(60_000),
  controlTopic: z.string().min(1),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
});

const env = (name: string) => process.env[name];

/** A CIFAR-10 request: a 32×32×3 uint8 frame (3072 bytes + its 20-byte header) with its key and ddnn-* headers. */
const DEFAULT_INPUT_BYTES = 3300;

export function buildProgram(run: (o: z.infer<typeof Options>) => Promise<void>): Command {
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  return new Command('controller')
    .description('adaptive controller: moves the exit threshold, the feature encoding and the batch wait, takes everything to the edge when the WAN is down and to a standby whole model when that is faster, through the control topic')
    .option('--layer <name=brokers@metrics>', 'a layer, first to last (repeat); env DDNN_CONTROLLER_LAYERS (space-separated)', collect)
    .option('--calibration <file>', 'calibration.json of npm run calibrate for the deployed model and placement; env DDNN_CONTROLLER_CALIBRATION', env(CONTROLLER_ENV.calibration))
    .option('--features <file>', "calibrate's features.json (accuracy per encoding); env DDNN_CONTROLLER_FEATURES", env(CONTROLLER_ENV.features))
    .option('--budget <fraction>', "accuracy budget below the last exit (default: the calibration's)", env(CONTROLLER_ENV.budget))
    .option('--threshold <t>', "the workers' configured threshold (the starting point)", env(CONTROLLER_ENV.threshold) ?? '0.8')
    .addOption(new Option('--features-dtype <dtype>', "the workers' configured encoding").choices(['float32', 'float16', 'int8']).default(env(CONTROLLER_ENV.featuresDtype) ?? 'float16'))
    .option('--batch-max-wait-ms <ms>', "the workers' configured batch wait", env(CONTROLLER_ENV.batchMaxWaitMs) ?? '0')
    .option('--whole-model-metrics <urls>', "/metrics URL(s) of a standby whole-model worker on the first layer's relay topic: enables cloud-only; env DDNN_CONTROLLER_WHOLE_MODEL_METRICS", env(CONTROLLER_ENV.wholeModelMetrics))
    .option('--input-bytes <n>', 'bytes of one raw request on the WAN when relayed', env(CONTROLLER_ENV.inputBytes) ?? String(DEFAULT_INPUT_BYTES))
    .option('--window-ms <ms>', 'decision window', env(CONTROLLER_ENV.windowMs) ?? '2000')
    .option('--margin <fraction>', 'a change must lower the predicted p95 by this much', String(DEFAULT_HYSTERESIS.margin))
    .option('--hold-windows <n>', '…for this many windows in a row', String(DEFAULT_HYSTERESIS.holdWindows))
    .option('--min-dwell-ms <ms>', 'no change sooner after the last one (a WAN outage excepted)', String(DEFAULT_HYSTERESIS.minDwellMs))
    .option('--probe-timeout-ms <ms>', 'a produce round trip slower than this is lost (WAN down after 2 windows)', '2000')
    .option('--control-topic <name>', 'control topic on every layer\'s cluster', env(CONTROLLER_ENV.controlTopic) ?? 'ddnn.control')
    .option('--log-level <level>', 'pino level', env(CONTROLLER_ENV.logLevel) ?? 'info')
    .action(async (raw: Record<string, unknown>) => {
      const layer = (raw.layer as string[] | undefined) ?? (env(CONTROLLER_ENV.layers) ?? '').split(/\s+/).filter(Boolean);
      const parsed = Options.safeParse({ ...Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)), layer });
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `--${String(i.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`).join('; '));
      await run(parsed.data);
    });
}

async function main(argv: string[]): Promise<void> {
  await buildProgram(async (o) => {
    const log = pino({ level: o.logLevel, base: { component: 'controller' } });
    const { calibration, modelVersion, placement } = loadCalibration(o.calibration, { featuresFile: o.features, budget: o.budget });
    log.info({ event: 'calibration', file: o.calibration, modelVersion, placement, budget: calibration.accuracyBudget }, 'accuracy budget loaded');
    // The worker's DDNN_KAFKA_* settings, for every layer but the first (the controller runs beside it).
    const security = securityFromEnv(process.env, (f) => readFileSync(f, 'utf8'));
    const handle = await startController({
      layers: o.layer.map(parseLayer).map((l, i) => (i === 0 ? l : { ...l, security })),
      calibration: { ...calibration, inputBytes: o.inputBytes },
      ...(o.wholeModelMetrics ? { wholeModel: { metrics: o.wholeModelMetrics } } : {}),
      initial: { placement: 'split', threshold: o.threshold, featuresDtype: o.featuresDtype, batchMaxWaitMs: o.batchMaxWaitMs },
      windowMs: o.windowMs,
      hysteresis: { margin: o.margin, holdWindows: o.holdWindows, minDwellMs: o.minDwellMs, outageWindows: DEFAULT_HYSTERESIS.outageWindows },
      probeTimeoutMs: o.probeTimeoutMs,
      controlTopic: o.controlTopic,
      log,
    });
    await new Promise<void>((resolve) => {
      const stop = () => void handle.stop().then(resolve);
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
  }).parseAsync(argv, { from: 'user' });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`controller: ${(e as Error).message}\n`);
      process.exit(2);
    },
  );
}
