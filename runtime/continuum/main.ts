/**
 * `npm start` / `npm run sweep`: the main job. Parses the command line, runs the experiment(s), prints the §5.2
 * table, writes JSON + HTML, and on Ctrl-C (or SIGTERM) stops every process it started before exiting.
 */
import { SingleBar } from 'cli-progress';
import { CommanderError } from 'commander';
import * as path from 'node:path';
import { buildProgram, type Handlers } from './cli';
import { runExperiment, type ExperimentUi } from './experiment';
import { OptionsError, type RunOptions } from './options';
import { writeExperiment, writeSweep } from './outputs';
import { Resources } from './resources';
import { runScenarioCommand } from './scenario-cli';
import { buildSweep } from './sweep';
import { renderReport } from './table';

function terminalUi(progress: boolean): ExperimentUi {
  const t0 = Date.now();
  const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s]`;
  return {
    step: (message) => process.stderr.write(`${stamp()} ${message}\n`),
    startStream(run, total) {
      if (progress && process.stderr.isTTY) {
        const bar = new SingleBar({
          format: `${stamp()} ${run.padEnd(20)} [{bar}] {value}/{total} answered | {percentage}% | {duration_formatted} | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: false,
        });
        bar.start(total, 0);
        return { update: (n) => bar.update(n), stop: () => bar.stop() };
      }
      // Not a terminal (CI logs): a line every 10 %.
      let shown = 0;
      process.stderr.write(`${stamp()} ${run}: streaming ${total} images\n`);
      return {
        update(n) {
          const tenth = Math.floor((n / total) * 10);
          if (tenth > shown) {
            shown = tenth;
            process.stderr.write(`${stamp()} ${run}: ${n}/${total} answered\n`);
          }
        },
        stop() {},
      };
    },
  };
}

const commandLine = () => ['npm start --', ...process.argv.slice(2)].join(' ').replace(/ --$/, '');

function handlers(resources: Resources): Handlers {
  return {
    async run(options: RunOptions) {
      const { report, runs, runDir } = await runExperiment(options, terminalUi(options.progress), resources);
      const files = await writeExperiment(runDir, report, runs, commandLine());
      process.stdout.write(`\n${renderReport(report)}\n\nWritten: ${path.relative(process.cwd(), files.html)}, ${path.relative(process.cwd(), files.json)}, ${path.relative(process.cwd(), files.records!)}\n`);
    },
    scenario: (options, progress) => runScenarioCommand(options, progress, resources),
    async sweep(options: RunOptions, envs: string[]) {
      const dir = path.resolve(options.out ?? path.join('results', `sweep-${new Date().toISOString().replace(/[:.]/g, '-')}`));
      const reports = [];
      for (const env of envs) {
        process.stderr.write(`\n=== sweep: ${env} ===\n`);
        const { report, runs, runDir } = await runExperiment({ ...options, env, out: path.join(dir, env) }, terminalUi(options.progress), resources);
        await writeExperiment(runDir, report, runs, `${commandLine()} (env ${env})`);
        reports.push(report);
      }
      const sweep = buildSweep(reports);
      const files = await writeSweep(dir, sweep, commandLine());
      process.stdout.write(`\n${reports.map(renderReport).join('\n\n')}\n\nWritten: ${path.relative(process.cwd(), files.html)}, ${path.relative(process.cwd(), files.json)}\n`);
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  const resources = new Resources();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`\n${signal} again: exiting now (remaining processes are killed on exit)\n`);
      process.exit(130);
    }
    process.stderr.write(`\n${signal}: stopping devices, workers, MirrorMaker 2 and brokers …\n`);
    void resources.close().then((failures) => {
      for (const f of failures) process.stderr.write(`  could not stop ${f}\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await buildProgram(handlers(resources)).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (signals > 0) return 130;
    process.stderr.write(`\n${e instanceof OptionsError ? '' : 'error: '}${(e as Error).message}\n`);
    return 1;
  } finally {
    const failures = await resources.close();
    for (const f of failures) process.stderr.write(`could not stop ${f}\n`);
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    // A signal handler may be closing resources; it exits by itself.
    if (!process.exitCode) process.exit(code);
  });
}
