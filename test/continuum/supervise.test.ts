/**
 * Replica supervision under `--live` (runtime/continuum/live.ts): a replica that exits mid-run is started again, its
 * new /metrics port replaces the old one in the live view, and the main job hears of the new process (to put it in its
 * layer's CPU group); a stop is not a crash; restarts are bounded. Processes here are stand-ins with a controllable
 * exit (the real ones are covered by test/continuum/live-view.int.test.ts).
 */
import { superviseReplica, type LiveContext } from '../../runtime/continuum/live';
import type { WorkerProcess } from '../../runtime/continuum/processes';
import type { MetricsTarget } from '../../runtime/live/server';

function fakeProcess(pid: number) {
  let exit!: (code: number | string) => void;
  const exited = new Promise<number | string>((r) => (exit = r));
  const w = {
    name: 'edge-0',
    pid,
    ready: { httpPort: 9000 + pid } as unknown as WorkerProcess['ready'],
    logFile: `/tmp/w${pid}.log`,
    exited,
    stopped: false,
    async stop() {
      w.stopped = true;
      exit('SIGTERM');
    },
    setExtraPredictMs: () => undefined,
  };
  return { w, exit };
}

const flush = () => new Promise((r) => setImmediate(r));

function context(): LiveContext {
  return { view: {} as LiveContext['view'], targets: new Map<string, MetricsTarget>() };
}

test('a replica that exits is started again, re-registered in the live view and handed to onRestarted', async () => {
  const procs = [fakeProcess(1), fakeProcess(2)];
  let n = 0;
  const restarted: number[] = [];
  const live = context();
  const handle = await superviseReplica(async () => procs[n++].w, { name: 'run/edge-0', live, log: () => undefined, onRestarted: (w) => restarted.push(w.pid) });
  expect(live.targets.get('run/edge-0')?.url).toBe('http://127.0.0.1:9001/metrics');
  procs[0].exit(137);
  await flush();
  await flush();
  expect(n).toBe(2);
  expect(restarted).toEqual([2]);
  expect(live.targets.get('run/edge-0')?.url).toBe('http://127.0.0.1:9002/metrics');
  await handle.stop();
  expect(procs[1].w.stopped).toBe(true);
  expect(live.targets.has('run/edge-0')).toBe(false);
  await flush();
  expect(n).toBe(2); // a stop is not a crash
});

test('restarts are bounded', async () => {
  const procs = [fakeProcess(1), fakeProcess(2), fakeProcess(3)];
  let n = 0;
  const logs: string[] = [];
  await superviseReplica(async () => procs[n++].w, { name: 'r', live: context(), log: (m) => logs.push(m), maxRestarts: 1 });
  procs[0].exit(1);
  await flush();
  await flush();
  procs[1].exit(1);
  await flush();
  await flush();
  expect(n).toBe(2);
  expect(logs.at(-1)).toMatch(/not restarted: 1 restarts already/);
});
