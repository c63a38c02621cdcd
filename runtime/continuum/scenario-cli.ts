/**
 * `npm run scenario -- wan-drop [flags]`: the adaptive-continuum scenario (runtime/continuum/scenario*.ts). Phase
 * lengths are flags, so a test runs a short version; the defaults are issue 13's (30 s fast WAN, 60 s at
 * 5 Mbit/s + 80 ms, a 10 s cut, 30 s recovery, 30 s with the edge 20 ms slower per batch). Ctrl-C stops every
 * process it started.
 */
import { Command, CommanderError, Option } from 'commander';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { loadCalibration } from '../controller/calibration';
import { DEFAULT_HYSTERESIS } from '../controller/decide';
import { getEnvironment } from '../../environments';
import { cpuBudgets } from './experiment';
import { BUNDLED_SAMPLE_DIR, CpuFlag, DEFAULT_MODEL_DIR, REPO_ROOT, resolveModelDir, SHARED_CIFAR10_DIR } from './options';
import { Resources } from './resources';
import { renderScenarioTable, WAN_DROP_DEFAULTS, wanDropPhases } from './scenario';
import { runScenario, type ScenarioOptions, type ScenarioUi } from './scenario-run';

/** The scenario runs the `local` environment (one broker per layer, its CPU budgets). */
const ENV = 'local';

const Flags = z.object({
  phases: z
    .string()
    .regex(/^\d+(\.\d+)?(,\d+(\.\d+)?){4}$/, '--phases needs five durations in seconds, e.g. 30,60,10,30,30')
    .transform((s) => s.split(',').map(Number) as [number, number, number, number, number]),
  slowdownMs: z.coerce.number().min(0).max(10_000),
  baseLatencyMs: z.coerce.number().min(0).max(10_000),
  devices: z.coerce.number().int().min(1).max(100),
  rate: z.coerce.number().positive().max(1000),
  threshold: z.coerce.number().min(0).max(1),
  features: z.enum(['float32', 'float16', 'int8']),
  runs: z.enum(['both', 'controller', 'baseline']),
  model: z.string().min(1),
  calibration: z.string().optional(),
  calibrationFeatures: z.string().optional(),
  budget: z.coerce.number().min(0).max(1).optional(),
  windowMs: z.coerce.number().int().min(200).max(60_000),
  minDwellMs: z.coerce.number().int().min(0),
  full: z.boolean(),
  backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']),
  tfThreads: z.coerce.number().int().min(1).max(64),
  warmup: z.coerce.number().int().min(0),
  drainTimeoutS: z.coerce.number().positive(),
  out: z.string().optional(),
  progress: z.boolean(),
  cpu: CpuFlag.optional(),
  cpuBudgets: z.boolean(),
});

export function scenarioCommand(run: (o: ScenarioOptions, progress: boolean) => Promise<void>): Command {
  return new Command('scenario')
    .description('wan-drop: a steady stream through a WAN drop, a cut, recovery and an edge slowdown, with and without the adaptive controller')
    .argument('<name>', 'scenario (wan-drop)')
    .option('--phases <s,s,s,s,s>', 'seconds of: fast WAN, 5 Mbit/s + 80 ms, cut, recovery, edge slowdown', WAN_DROP_DEFAULTS.phaseS.join(','))
    .option('--slowdown-ms <ms>', 'added to every edge micro-batch in phase 5', String(WAN_DROP_DEFAULTS.slowdownMs))
    .option('--base-latency-ms <ms>', 'one-way latency of the fast WAN', String(WAN_DROP_DEFAULTS.baseLatencyMs))
    .option('--devices <n>', 'devices', '5')
    .option('--rate <r>', 'requests per second per device (steady stream)', '12')
    .option('--threshold <t>', 'configured exit threshold (the run without the controller keeps it)', '0.8')
    .addOption(new Option('--features <dtype>', 'configured feature encoding').choices(['float32', 'float16', 'int8']).default('float16'))
    .addOption(new Option('--runs <which>', 'both runs, or one').choices(['both', 'controller', 'baseline']).default('both'))
    .option('--model <name|dir>', 'shipped model or partitioned model root (edge-cloud placement)', DEFAULT_MODEL_DIR)
    .option('--calibration <file>', 'calibration.json of npm run calibrate (default: results/calibration/<model>-edge-cloud/calibration.json)')
    .option('--calibration-features <file>', "calibrate's features.json (accuracy per encoding)")
    .option('--budget <fraction>', "accuracy budget (default: the calibration's)")
    .option('--window-ms <ms>', "the controller's decision window", '2000')
    .option('--min-dwell-ms <ms>', "the controller's minimum time between changes", String(DEFAULT_HYSTERESIS.minDwellMs))
    .option('--full', 'images from ../shared/data/cifar10 (default: the bundled 300-image sample, repeated)', false)
    .addOption(new Option('--backend <name>', 'tfjs backend of the workers').choices(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'))
    .option('--tf-threads <n>', 'TensorFlow threads per worker process', '1')
    .option('--warmup <n>', 'requests per run before the stream (not reported)', '50')
    .option('--drain-timeout-s <s>', 'a request unanswered this long is lost', '60')
    .option('--out <dir>', 'results directory (default: results/wan-drop-<time>)')
    .option('--cpu <budgets>', "CPU cores per group, e.g. edge=1.2,cloud=0.6,devices=0.2 (default: the local environment's localCpu)")
    .option('--no-cpu-budgets', 'run every process on all cores (no per-layer CPU groups)')
    .option('--no-progress', 'no progress line')
    .action(async (name: string, raw: Record<string, unknown>) => {
      if (name !== 'wan-drop') throw new Error(`scenario ${JSON.stringify(name)}: only wan-drop exists`);
      const parsed = Flags.safeParse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `--${String(i.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`).join('; '));
      const f = parsed.data;
      const modelDir = resolveModelDir(f.model);
      const modelName = path.basename(path.dirname(modelDir));
      const calFile = f.calibration ?? path.join(REPO_ROOT, 'results/calibration', `${modelName}-edge-cloud`, 'calibration.json');
      if (!existsSync(calFile)) throw new Error(`no calibration at ${calFile}: run npm run calibrate -- --placement edge-cloud first, or pass --calibration`);
      const { calibration } = loadCalibration(calFile, { featuresFile: f.calibrationFeatures, budget: f.budget });
      await run(
        {
          env: ENV,
          modelDir,
          dataDir: f.full ? SHARED_CIFAR10_DIR : BUNDLED_SAMPLE_DIR,
          phases: wanDropPhases({ phaseS: f.phases, slowdownMs: f.slowdownMs, baseLatencyMs: f.baseLatencyMs }),
          devices: f.devices,
          rate: f.rate,
          threshold: f.threshold,
          featuresDtype: f.features,
          calibration,
          hysteresis: { ...DEFAULT_HYSTERESIS, minDwellMs: f.minDwellMs },
          controllerWindowMs: f.windowMs,
          runs: f.runs === 'both' ? ['baseline', 'controller'] : [f.runs],
          backend: f.backend,
          tfThreads: f.tfThreads,
          warmup: f.warmup,
          drainTimeoutS: f.drainTimeoutS,
          out: path.resolve(f.out ?? path.join('results', `wan-drop-${new Date().toISOString().replace(/[:.]/g, '-')}`)),
          cpuBudgets: cpuBudgets({ cpu: f.cpu, cpuBudgets: f.cpuBudgets }, getEnvironment(ENV)),
        },
        f.progress,
      );
    });
}

export function terminalScenarioUi(progress: boolean): ScenarioUi {
  const t0 = Date.now();
  const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s]`;
  const tty = progress && process.stderr.isTTY;
  return {
    step: (m) => process.stderr.write(`${tty ? '\r\x1b[K' : ''}${stamp()} ${m}\n`),
    progress(run, phase, elapsed, total, answered, finished) {
      if (!progress) return;
      const line = `${stamp()} ${run}: ${phase} | ${elapsed.toFixed(0)}/${total} s | ${answered} answered, ${finished - answered} lost so far`;
      if (tty) process.stderr.write(`\r\x1b[K${line}`);
      else if (Math.round(elapsed) % 10 === 0) process.stderr.write(`${line}\n`);
    },
  };
}

/** Runs the scenario and prints its table and files (`npm start -- scenario wan-drop` and `npm run scenario`). */
export async function runScenarioCommand(o: ScenarioOptions, progress: boolean, resources: Resources): Promise<void> {
  const { report, files } = await runScenario(o, terminalScenarioUi(progress), resources);
  process.stdout.write(`\n${renderScenarioTable(report.runs)}\n\nWritten: ${[files.html, files.svg, files.json].map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
}

export async function main(argv: string[]): Promise<number> {
  const resources = new Resources();
  const stop = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: stopping workers and brokers …\n`);
    void resources.close().then(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const program = new Command('scenario-main').exitOverride().addCommand(scenarioCommand((o, progress) => runScenarioCommand(o, progress, resources)), { isDefault: true });
    await program.parseAsync(['scenario', ...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    process.stderr.write(`\nerror: ${(e as Error).message}\n`);
    return 1;
  } finally {
    for (const f of await resources.close()) process.stderr.write(`could not stop ${f}\n`);
  }
}

if (require.main === module) void main(process.argv.slice(2)).then((code) => process.exit(code));
