import { buildProgram, type Handlers } from '../../runtime/continuum/cli';
import type { RunOptions } from '../../runtime/continuum/options';
import { Resources } from '../../runtime/continuum/resources';

function capture() {
  const calls: Array<{ kind: 'run' | 'sweep'; options: RunOptions; envs?: string[] }> = [];
  const handlers: Handlers = {
    run: async (options) => void calls.push({ kind: 'run', options }),
    sweep: async (options, envs) => void calls.push({ kind: 'sweep', options, envs }),
  };
  const parse = (argv: string[]) => buildProgram(handlers).configureOutput({ writeErr: () => undefined, writeOut: () => undefined }).parseAsync(argv, { from: 'user' });
  return { calls, parse, handlers };
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
