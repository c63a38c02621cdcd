import { buildProgram, type Handlers } from '../../runtime/continuum/cli';
import type { RunOptions } from '../../runtime/continuum/options';
import { Resources } from '../../runtime/continuum/resources';
import type { ScenarioOptions } from '../../runtime/continuum/scenario-run';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

function capture() {
  const calls: Array<{ kind: 'run' | 'sweep'; options: RunOptions; envs?: string[] }> = [];
  const scenarios: ScenarioOptions[] = [];
  const handlers: Handlers = {
    run: async (options) => void calls.push({ kind: 'run', options }),
    sweep: async (options, envs) => void calls.push({ kind: 'sweep', options, envs }),
    scenario: async (options) => void scenarios.push(options),
  };
  const parse = (argv: string[]) => buildProgram(handlers).configureOutput({ writeErr: () => undefined, writeOut: () => undefined }).parseAsync(argv, { from: 'user' });
  return { calls, scenarios, parse, handlers };
}

describe('command line', () => {
  it('runs the embedded default with no arguments', async () => {
    const { calls, parse } = capture();
    await parse([]);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ kind: 'run', options: { env: 'local', transports: ['direct', 'mirrored'], wanLatency: 15, baseline: true, progress: true } });
  });

  it('maps the flags onto the run options', async () => {
    const { calls, parse } = capture();
    await parse(['--env', 'paper-simple', '--transport', 'direct', '--wan-latency', '20', '--wan-bandwidth', '0', '--images', '40', '--devices', '2', '--rate', '5', '--threshold', '0.9', '--no-baseline', '--no-progress', '--warmup', '0']);
    expect(calls[0].options).toMatchObject({ env: 'paper-simple', transports: ['direct'], wanLatency: 20, wanBandwidth: 0, images: 40, devices: 2, rate: 5, threshold: 0.9, baseline: false, progress: false, warmup: 0 });
  });

  it('runs a sweep over the given environments', async () => {
    const { calls, parse } = capture();
    await parse(['sweep', '--envs', 'paper-ha-p1,paper-ha-p2', '--images', '10']);
    expect(calls[0]).toMatchObject({ kind: 'sweep', envs: ['paper-ha-p1', 'paper-ha-p2'], options: { images: 10 } });
  });

  it('scenario wan-drop: phases, rate and the calibration from the flags', async () => {
    const { scenarios, parse } = capture();
    const cal = path.join(mkdtempSync(path.join(tmpdir(), 'ddnn-cli-')), 'calibration.json');
    writeFileSync(cal, JSON.stringify({
      modelVersion: 'v', placement: 'edge-cloud', accuracyBudget: 0.01, finalExitAccuracy: 0.9,
      exits: [{ name: 'e', forwardBytes: 4096 }, { name: 'c', forwardBytes: 0 }],
      sweeps: { 'max-softmax': [{ threshold: 0.8, answered: [0.5, 0.5], overallAccuracy: 0.9 }] },
    }));
    await parse(['scenario', 'wan-drop', '--phases', '1,2,3,4,5', '--rate', '3', '--devices', '2', '--calibration', cal, '--budget', '0.02', '--runs', 'controller']);
    expect(scenarios[0].phases.map((p) => p.durationS)).toEqual([1, 2, 3, 4, 5]);
    expect(scenarios[0]).toMatchObject({ rate: 3, devices: 2, runs: ['controller'], calibration: { accuracyBudget: 0.02, finalExitAccuracy: 0.9 } });
    await expect(parse(['scenario', 'wan-drop', '--phases', '1,2', '--calibration', cal])).rejects.toThrow(/--phases needs five durations/);
    await expect(parse(['scenario', 'nope', '--calibration', cal])).rejects.toThrow(/only wan-drop exists/);
  });

  it('npm start -- --help lists the run flags, not only the subcommands', () => {
    let out = '';
    const program = buildProgram(capture().handlers).configureOutput({ writeOut: (s) => void (out += s) });
    program.outputHelp();
    for (const flag of ['--env <name>', '--transport <transport>', '--images <n>', '--rate <r>', '--wan-latency <ms>', '--no-baseline']) expect(out).toContain(flag);
    expect(out).toMatch(/Commands:[\s\S]*run \[options\][\s\S]*sweep \[options\]/);
  });

  it('refuses an unknown transport', async () => {
    const { calls, parse } = capture();
    await expect(parse(['--transport', 'carrier-pigeon'])).rejects.toThrow(/Allowed choices are direct, mirrored, both/);
    expect(calls).toHaveLength(0);
  });
});

describe('Resources', () => {
  it('stops everything newest first, once, and reports failures without stopping early', async () => {
    const order: string[] = [];
    const r = new Resources();
    r.add('clusters', async () => void order.push('clusters'));
    r.add('worker', async () => {
      order.push('worker');
      throw new Error('stuck');
    });
    r.add('mirror', async () => void order.push('mirror'));
    await r.release('mirror');
    expect(await r.close()).toEqual(['worker: stuck']);
    expect(await r.close()).toEqual(['worker: stuck']);
    expect(order).toEqual(['mirror', 'worker', 'clusters']);
    expect(() => r.add('late', async () => undefined)).toThrow(/shutting down/);
  });
});
