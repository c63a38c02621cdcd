/**
 * Picks the fastest tfjs backend this machine offers: tensorflow (libtensorflow through @tensorflow/tfjs-node,
 * what the worker image ships) → wasm (@tensorflow/tfjs-backend-wasm, SIMD; installs offline) → cpu (pure JS).
 * The tfjs engine is process-wide, so every worker in one process shares the backend chosen first.
 */
import * as path from 'path';
import type { Logger } from 'pino';
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = BackendName | 'auto';

export interface BackendInfo {
  name: BackendName;
  /** why earlier candidates were skipped, and backend details (threads, SIMD) */
  notes: string[];
}

const ORDER: BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** Env var that overrides the preference for any entry point (worker, devices, bench, main job). */
export const BACKEND_ENV = 'DDNN_BACKEND';

let chosen: Promise<BackendInfo> | null = null;

/**
 * Selects the backend once per process; later calls return the first result (a forced preference that
 * disagrees with it is an error, since tfjs cannot run two backends for one model).
 */
export function selectBackend(preference: BackendPreference = 'auto', logger?: Logger, order: readonly BackendName[] = ORDER): Promise<BackendInfo> {
  if (!chosen) {
    chosen = initialise(preference, logger, order);
    chosen.catch(() => (chosen = null));
    return chosen;
  }
  return chosen.then((info) => {
    if (preference !== 'auto' && preference !== info.name) {
      throw new Error(`backend ${preference} requested, but this process already runs tfjs on ${info.name}`);
    }
    return info;
  });
}

/**
 * For training: wasm registers no gradient kernels (`Conv2DBackpropFilter` is missing), so `auto` goes from native
 * TensorFlow straight to the pure-JS cpu backend, which trains a small model slowly but correctly (CI has no native).
 */
export function selectTrainingBackend(preference: BackendPreference = 'auto', logger?: Logger): Promise<BackendInfo> {
  if (preference === 'wasm') return Promise.reject(new Error("backend wasm cannot train (no gradient kernels, e.g. Conv2DBackpropFilter); use tensorflow or cpu"));
  return selectBackend(preference, logger, ['tensorflow', 'cpu']);
}

async function initialise(preference: BackendPreference, logger: Logger | undefined, order: readonly BackendName[]): Promise<BackendInfo> {
  const candidates = preference === 'auto' ? order : [preference];
  const notes: string[] = [];
  for (const name of candidates) {
    try {
      const detail = await LOADERS[name]();
      if (!(await tf.setBackend(name))) throw new Error('tf.setBackend returned false');
      await tf.ready();
      notes.push(...detail);
      const info = { name, notes };
      logger?.info({ event: 'tf-backend', preference, notes, ...(await backendFeatures()) }, `tfjs backend: ${name}`);
      return info;
    } catch (e) {
      notes.push(`${name} unavailable: ${(e as Error).message.split('\n')[0]}`);
      if (preference !== 'auto') break;
    }
  }
  throw new Error(`no usable tfjs backend (${preference}): ${notes.join('; ')}`);
}

const LOADERS: Record<BackendName, () => Promise<string[]>> = {
  async tensorflow() {
    // Optional dependency: absent where libtensorflow could not be downloaded. Registers the "tensorflow" backend.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
    return ['libtensorflow via @tensorflow/tfjs-node'];
  },
  async wasm() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    // In Node the .wasm binaries are read from the package's dist/ folder; a trailing slash marks a prefix.
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(dist + path.sep);
    return [`wasm binaries from ${dist}`];
  },
  async cpu() {
    return ['pure JavaScript kernels (slow for CNNs)'];
  },
};

/** Details tfjs knows only after the backend is up (wasm SIMD/threads); for logs and benchmark records. */
export async function backendFeatures(): Promise<Record<string, unknown>> {
  const name = tf.getBackend();
  const features: Record<string, unknown> = { backend: name, tfjs: tf.version.tfjs };
  if (name === 'wasm') {
    features.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    features.multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    features.threads = (require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
  }
  return features;
}

/** Reads the backend preference from DDNN_BACKEND (for the CLIs); the worker itself gets it from its config. */
export function backendFromEnv(env: Record<string, string | undefined>): BackendPreference {
  const v = env[BACKEND_ENV];
  if (v === undefined || v === '') return 'auto';
  if (v === 'auto' || (ORDER as string[]).includes(v)) return v as BackendPreference;
  throw new Error(`${BACKEND_ENV}=${v}: must be one of auto, ${ORDER.join(', ')}`);
}
