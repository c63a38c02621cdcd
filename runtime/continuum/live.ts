/**
 * The main job's side of the live view (`npm start -- run --live`): the view itself (runtime/live) watches the
 * replicas registered here, and each replica is supervised as its pod would be in a cluster: a replica that exits
 * while its run goes on is started again (its new /metrics port is registered in place of the old one, and the main job
 * puts the new process in its layer's CPU group).
 */
import { startLiveView, type LiveView, type MetricsTarget } from '../live/server';
import type { WorkerProcess } from './processes';

export interface LiveContext {
  readonly view: LiveView;
  readonly targets: Map<string, MetricsTarget>;
}

export async function startLive(port: number, title: string): Promise<LiveContext> {
  const targets = new Map<string, MetricsTarget>();
  const view = await startLiveView({ port, title, targets: () => [...targets.values()] });
  return { view, targets };
}

/** @default restarts: 5 per replica and run (a replica that keeps dying is an error, not a fault to ride out) */
export interface SuperviseOptions {
  readonly name: string;
  readonly live: LiveContext;
  readonly log: (message: string) => void;
  readonly maxRestarts?: number;
  /** a replacement process is running (the main job puts it in its layer's CPU group, as it did the first) */
  readonly onRestarted?: (w: WorkerProcess) => void;
}

/**
 * Starts a replica with `start` and starts it again whenever it exits before `stop()`; the returned handle's
 * `exited` and `stop()` stand for whichever process currently runs (the rest describes the first one).
 */
export async function superviseReplica(start: () => Promise<WorkerProcess>, o: SuperviseOptions): Promise<WorkerProcess> {
  let current = await start();
  let stopping = false;
  let restarts = 0;
  const register = (w: WorkerProcess) => {
    if (w.ready.httpPort !== null) o.live.targets.set(o.name, { name: o.name, url: `http://127.0.0.1:${w.ready.httpPort}/metrics` });
  };
  const watch = (w: WorkerProcess): void => {
    void w.exited.then(async (code) => {
      if (stopping) return;
      if (restarts >= (o.maxRestarts ?? 5)) {
        o.log(`worker ${o.name} exited (${code}); not restarted: ${restarts} restarts already, see ${w.logFile}`);
        return;
      }
      restarts++;
      o.log(`worker ${o.name} exited (${code}); restarting it (restart ${restarts})`);
      try {
        current = await start();
        if (stopping) return void (await current.stop());
        o.onRestarted?.(current);
        register(current);
        watch(current);
      } catch (e) {
        o.log(`worker ${o.name} could not be restarted: ${(e as Error).message}`);
      }
    });
  };
  register(current);
  watch(current);
  return {
    ...current,
    get exited() {
      return current.exited;
    },
    async stop(graceMs?: number) {
      stopping = true;
      o.live.targets.delete(o.name);
      await current.stop(graceMs);
    },
  };
}
