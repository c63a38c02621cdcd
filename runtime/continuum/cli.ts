/**
 * The main job's command line (commander). `npm start` with no arguments runs the embedded default; `sweep` runs
 * the paper's partition series. Ctrl-C (SIGINT) or SIGTERM stops every broker, MirrorMaker and worker it started.
 */
import { Command, Option } from 'commander';
import { DEFAULT_WAN, OptionsError, parseRunOptions, RunOptions } from './options';
import { scenarioCommand } from './scenario-cli';
import type { ScenarioOptions } from './scenario-run';

export interface Handlers {
  run(options: RunOptions): Promise<void>;
  sweep(options: RunOptions, envs: string[]): Promise<void>;
  /** `scenario wan-drop`: the adaptive-continuum scenario (scenario-cli.ts) */
  scenario(options: ScenarioOptions, progress: boolean): Promise<void>;
}

function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--env <name>', 'environment from environments/ (local, paper-simple, paper-ha-p1..p4)', 'local')
    .addOption(new Option('--transport <transport>', 'link between edge and cloud').choices(['direct', 'mirrored', 'both']).default('both'))
    .option('--data <dir>', 'CIFAR-10 directory in the binary layout (test_batch.bin); default: the bundled 300-image sample')
    .option('--full', 'stream the full 10,000-image test set from ../shared/data/cifar10', false)
    .option('--images <n>', 'stream only the first n test images')
    .option('--devices <n>', 'simulated devices (default: the environment\'s; local: 5)')
    .addOption(new Option('--split <how>', 'shard: each image sent once, spread over the devices; same: every device sends every image').choices(['shard', 'same']).default('shard'))
    .option('--rate <r>', 'requests per second per device (default: closed loop, next image once answered)')
    .option('--threshold <t>', 'early-exit threshold on the top softmax probability (default: the environment\'s, 0.8)')
    .option('--wan-latency <ms>', 'one-way WAN latency between edge and cloud', String(DEFAULT_WAN.latencyMs))
    .option('--wan-bandwidth <mbit>', 'WAN bandwidth each way in Mbit/s (0 = unlimited)', String(DEFAULT_WAN.bandwidthMbps))
    .option('--model <name|dir>', 'shipped model (compact-branchynet, vgg16-branchynet) or a partitioned model root (one folder per placement)')
    .option('--out <dir>', 'results directory (default: results/<timestamp>)')
    .option('--no-baseline', 'skip the cloud-only baseline run')
    .addOption(new Option('--backend <name>', 'tfjs backend of the workers').choices(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'))
    .option('--tf-threads <n>', 'TensorFlow intra- and inter-op threads per worker process (local replicas share the cores)', '1')
    .addOption(new Option('--features <dtype>', 'encoding of forwarded feature maps').choices(['float32', 'float16', 'int8']).default('float16'))
    .option('--cpu <budgets>', "CPU cores per group, e.g. edge=0.8,cloud=1,devices=0.2 (default: the environment's localCpu)")
    .option('--no-cpu-budgets', 'run every process on all cores (no per-layer CPU groups)')
    .option('--no-progress', 'no progress bar (e.g. in CI logs)')
    .option('--live', 'serve a live view of the workers\' metrics and the devices\' response times on 127.0.0.1 (prints its URL)', false)
    .option('--live-port <port>', 'port of the live view (default: any free port)')
    .option('--warmup <n>', 'requests per run sent before measuring (not reported)', '50')
    .option('--drain-timeout-s <s>', 'seconds to wait for the last answers after the last request', '60');
}

/** Drops undefined values so zod applies its defaults. */
function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export function buildProgram(handlers: Handlers): Command {
  const program = new Command('continuum')
    .description('Runs the whole continuum locally (edge + cloud Kafka clusters, WAN, workers, devices) and reports it beside the paper (§5.2)')
    .showHelpAfterError()
    .exitOverride();

  const run = addRunOptions(program.command('run', { isDefault: true }).description('one experiment: early exits (per transport) vs cloud-only'))
    .action(async (opts: Record<string, unknown>) => handlers.run(parseRunOptions(defined(opts))));
  // `npm start -- --help` reaches the program, not its default command: list the run flags there too.
  program.addHelpText('after', () => {
    const help = run.helpInformation();
    return `\n${help.slice(help.indexOf('Options:')).replace('Options:', 'Options of run, the default command (npm start -- [options]):')}`;
  });

  addRunOptions(
    program
      .command('sweep')
      .description('the partition series (paper Figs. 8–9): one experiment per environment, then the speed-up plot'),
  )
    .option('--envs <names>', 'comma-separated environments', 'paper-ha-p1,paper-ha-p2,paper-ha-p3,paper-ha-p4')
    .action(async (opts: Record<string, unknown>) => {
      const { envs, ...rest } = opts;
      const names = String(envs).split(',').map((s) => s.trim()).filter(Boolean);
      if (names.length === 0) throw new OptionsError('--envs needs at least one environment');
      await handlers.sweep(parseRunOptions(defined({ ...rest, env: names[0] })), names);
    });
  program.addCommand(scenarioCommand((o, progress) => handlers.scenario(o, progress)));
  return program;
}
