/**
 * Worker replicas as child processes, started and stopped by the main job. Each runs runtime/continuum/
 * worker-process.ts in its own process group (a terminal's Ctrl-C reaches only the main job, which stops things in
 * order) with an IPC channel whose closing stops the child if the main job dies without cleaning up.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { OwnedChild } from '../process/owned-child';
import { DEBUG_HOOKS_ENV, WORKER_LAUNCH_ENV, type DebugMessage, type WorkerFailedMessage, type WorkerReadyMessage } from './worker-process';
import type { WorkerLaunch } from './wiring';

const ENTRY = path.join(__dirname, 'worker-process.ts');

export interface WorkerProcess {
  readonly name: string;
  readonly pid: number;
  readonly ready: WorkerReadyMessage;
  readonly logFile: string;
  /** resolves with the exit code (or signal) once the process has exited, whoever stopped it */
  readonly exited: Promise<number | string>;
  stop(graceMs?: number): Promise<void>;
  /** experiments only (`debugHooks`): adds this much to every micro-batch's predict from now on */
  setExtraPredictMs(ms: number): void;
}

export interface WorkerProcessOptions {
  readonly logFile: string;
  readonly backend: string;
  /** TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS of the replica; TensorFlow's default is one per core */
  readonly tfThreads?: number;
  /** @default 120000 (tfjs start and model load on a busy 2-core machine) */
  readonly readyTimeoutMs?: number;
  /** serve /metrics (and the probes) on a free port, for the live view. @default false */
  readonly metrics?: boolean;
  /** experiments only: the replica accepts `setExtraPredictMs` (an edge slowed down, in the wan-drop scenario). @default false */
  readonly debugHooks?: boolean;
}

export async function startWorkerProcess(launch: WorkerLaunch, options: WorkerProcessOptions): Promise<WorkerProcess> {
  const out = openSync(options.logFile, 'a');
  const config = { ...launch.config, backend: options.backend, httpPort: options.metrics ? 0 : -1, logLevel: 'info', clientId: `ddnn-${launch.name}` };
  // DDNN_CPU_PROF_DIR=<dir>: each replica writes a V8 CPU profile there when it exits (where does the time go?).
  const profile = process.env.DDNN_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.DDNN_CPU_PROF_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', ENTRY], {
    detached: true,
    stdio: ['ignore', out, out, 'ipc'],
    env: {
      ...process.env,
      [WORKER_LAUNCH_ENV]: JSON.stringify(config),
      // Several replicas and brokers share a few cores here: TensorFlow's per-core thread pools would oversubscribe them.
      ...(options.debugHooks ? { [DEBUG_HOOKS_ENV]: '1' } : {}),
      ...(options.tfThreads ? { TF_NUM_INTRAOP_THREADS: String(options.tfThreads), TF_NUM_INTEROP_THREADS: String(options.tfThreads) } : {}),
    },
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`worker ${launch.name}: could not start ${process.execPath}`);
  // On any exit of the main job, what is still running is SIGKILLed (a synchronous last resort).
  const owned = new OwnedChild(child);

  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  const ready = await new Promise<WorkerReadyMessage>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`worker ${launch.name}: not ready after ${timeoutMs} ms; see ${options.logFile}`)), timeoutMs);
    child.on('message', (m: WorkerReadyMessage | WorkerFailedMessage) => {
      if (m.type === 'ready') resolve(m);
      else reject(new Error(`worker ${launch.name} failed to start: ${m.error.split('\n')[0]}; see ${options.logFile}`));
    });
    void owned.exited.then((c) => reject(new Error(`worker ${launch.name} exited (${c}) during start; see ${options.logFile}\n${tail(options.logFile)}`)));
  }).catch(async (e) => {
    await owned.kill();
    throw e;
  }).finally(() => clearTimeout(timer));

  return {
    name: launch.name,
    pid: child.pid,
    ready,
    logFile: options.logFile,
    exited: owned.exited,
    stop: (graceMs = 10_000) => owned.stop(graceMs),
    setExtraPredictMs(ms: number) {
      if (!options.debugHooks) throw new Error(`worker ${launch.name}: started without debugHooks`);
      const msg: DebugMessage = { type: 'debug-extra-predict-ms', ms };
      if (child.connected) child.send(msg);
    },
  };
}

function tail(file: string, lines = 12): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
