/**
 * Entry point of one worker replica as a child process of the main job (one process per replica, as one pod per
 * replica in a cluster). The parent passes the configuration in DDNN_CONTINUUM_WORKER (JSON) and talks over IPC:
 * the child sends {type:'ready'} once its consumer joined the group; it stops when told (SIGTERM/SIGINT) and also
 * when the IPC channel closes, i.e. when the parent is gone — even SIGKILLed — so no replica outlives the job.
 */
import { parseWorkerConfig } from '../worker/config';
import { startWorker, type WorkerHandle } from '../worker/worker';

export const WORKER_LAUNCH_ENV = 'DDNN_CONTINUUM_WORKER';

export interface WorkerReadyMessage {
  readonly type: 'ready';
  readonly backend: string;
  readonly layer: string;
  readonly modelVersion: string;
  /** port of /metrics, /healthz, /readyz; null when the parent turned the server off */
  readonly httpPort: number | null;
}

export interface WorkerFailedMessage {
  readonly type: 'failed';
  readonly error: string;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env[WORKER_LAUNCH_ENV] ?? '{}') as Record<string, unknown>;
  let handle: WorkerHandle | undefined;
  let exiting = false;
  const exit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    await handle?.stop().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGTERM', () => void exit(0));
  process.on('SIGINT', () => void exit(0));
  process.on('disconnect', () => void exit(0));
  try {
    handle = await startWorker(parseWorkerConfig(config));
    void handle.done.then(() => exit(0));
    await handle.joined;
    const msg: WorkerReadyMessage = { type: 'ready', backend: handle.backend.name, layer: handle.layer, modelVersion: handle.manifest.modelVersion, httpPort: handle.httpPort };
    process.send?.(msg);
  } catch (e) {
    const msg: WorkerFailedMessage = { type: 'failed', error: (e as Error).stack ?? String(e) };
    process.send?.(msg);
    await exit(1);
  }
}

if (require.main === module) void main();
