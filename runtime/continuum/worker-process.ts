/**
 * Entry point of one worker replica as a child process of the main job (one process per replica, as one pod per
 * replica in a cluster). The parent passes the configuration in DDNN_CONTINUUM_WORKER (JSON) and talks over IPC:
 * the child sends {type:'ready'} once its consumer joined the group; it stops when told (SIGTERM/SIGINT) and also
 * when the IPC channel closes, i.e. when the parent is gone — even SIGKILLed — so no replica outlives the job.
 */
import { selectBackend } from '../tf/backend';
import { loadSubModel, type SubModel } from '../tf/sub-model';
import { parseWorkerConfig, type WorkerConfig } from '../worker/config';
import { startWorker, type WorkerHandle } from '../worker/worker';

export const WORKER_LAUNCH_ENV = 'DDNN_CONTINUUM_WORKER';
/**
 * Experiments only ('1'): the replica obeys DebugMessage over IPC — the wan-drop scenario slows the edge down
 * mid-run. Never set by the constructs; a worker started any other way has no such hook.
 */
export const DEBUG_HOOKS_ENV = 'DDNN_DEBUG_HOOKS';

export interface DebugMessage {
  readonly type: 'debug-extra-predict-ms';
  /** added to every micro-batch's predict from now on (0 = none) */
  readonly ms: number;
}

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
    const parsed = parseWorkerConfig(config);
    handle = await startWorker(parsed, process.env[DEBUG_HOOKS_ENV] === '1' ? { subModel: await slowable(parsed) } : {});
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

/** The replica's sub-model with a predict that can be slowed down at run time (DebugMessage). */
async function slowable(config: WorkerConfig): Promise<SubModel> {
  await selectBackend(config.backend);
  const model = await loadSubModel(config.model);
  let extraMs = 0;
  process.on('message', (m: DebugMessage) => {
    if (m?.type === 'debug-extra-predict-ms' && Number.isFinite(m.ms) && m.ms >= 0) extraMs = m.ms;
  });
  return {
    manifest: model.manifest,
    async predict(inputs) {
      const out = await model.predict(inputs);
      if (extraMs > 0) await new Promise((r) => setTimeout(r, extraMs));
      return out;
    },
    dispose: () => model.dispose(),
  };
}

if (require.main === module) void main();
