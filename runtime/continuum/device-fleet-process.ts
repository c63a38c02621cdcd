/**
 * The simulated devices of a run in a child process of their own, so they can be given their own CPU budget
 * (runtime/process/cpu-groups.ts), as the paper's devices ran on their own computers, while the main job keeps the
 * WAN emulator (network, nobody's CPU) and the bookkeeping. The child loads the images itself (from the same
 * CIFAR-10 directory), streams them with runDevices and sends each finished request and the result over IPC.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { OwnedChild } from '../process/owned-child';
import { loadTestImages } from '../devices/dataset';
import { runDevices, type DeviceFleetOptions, type DeviceFleetResult } from '../devices/simulator';
import type { DeviceRecord } from '../../contracts/records';

const LAUNCH_ENV = 'DDNN_CONTINUUM_DEVICES';

/** What crosses to the child: the fleet options that are data, and where its images come from. */
export interface FleetLaunch {
  readonly fleet: Omit<DeviceFleetOptions, 'images' | 'onProgress' | 'logger' | 'security'>;
  readonly dataDir: string;
  /** images [from, to) of the test batch */
  readonly from: number;
  readonly to: number;
  /** send this many requests, cycling through those images (a steady stream longer than the sample) */
  readonly count?: number;
}

type ChildMessage =
  | { type: 'streaming' }
  | { type: 'progress'; finished: number; total: number; answered?: DeviceRecord }
  | { type: 'done'; result: DeviceFleetResult }
  | { type: 'failed'; error: string };

export interface FleetChildOptions {
  readonly logFile: string;
  /**
   * Called with the child's pid once its devices are connected, right before the first request: the moment to put
   * it in its CPU group (its start-up — tsx, images, connections — is not the devices' steady work) and to start
   * measuring.
   */
  readonly onStreaming?: (pid: number) => void;
  readonly onProgress?: DeviceFleetOptions['onProgress'];
  /** called when the last request finished, while the child still runs (to read its CPU time) */
  readonly onFinished?: (pid: number) => void;
}

/** Runs the fleet in a child process; resolves with the same result runDevices would. */
export async function runDevicesInChild(launch: FleetLaunch, options: FleetChildOptions): Promise<DeviceFleetResult> {
  const out = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', __filename], {
    detached: true,
    stdio: ['ignore', out, out, 'ipc'],
    env: { ...process.env, [LAUNCH_ENV]: JSON.stringify(launch) },
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`devices: could not start ${process.execPath}`);
  const owned = new OwnedChild(child);
  const pid = child.pid;
  try {
    return await new Promise<DeviceFleetResult>((resolve, reject) => {
      child.on('message', (m: ChildMessage) => {
        if (m.type === 'streaming') options.onStreaming?.(pid);
        else if (m.type === 'progress') options.onProgress?.(m.finished, m.total, m.answered);
        else if (m.type === 'done') {
          options.onFinished?.(pid);
          resolve(m.result);
        }
        else reject(new Error(`devices failed: ${m.error.split('\n')[0]}; see ${options.logFile}`));
      });
      void owned.exited.then((c) => reject(new Error(`devices exited (${c}) before finishing; see ${options.logFile}`)));
    });
  } finally {
    await owned.stop(5_000);
  }
}

async function main(): Promise<void> {
  process.on('disconnect', () => process.exit(0)); // the main job is gone
  try {
    const launch = JSON.parse(process.env[LAUNCH_ENV] ?? '{}') as FleetLaunch;
    const sample = loadTestImages(launch.dataDir, launch.to).slice(launch.from, launch.to);
    const images = launch.count === undefined ? sample : Array.from({ length: launch.count }, (_, i) => sample[i % sample.length]);
    const result = await runDevices({
      ...launch.fleet,
      images,
      onStart: () => process.send?.({ type: 'streaming' } satisfies ChildMessage),
      onProgress: (finished, total, answered) => process.send?.({ type: 'progress', finished, total, answered } satisfies ChildMessage),
    });
    process.send?.({ type: 'done', result } satisfies ChildMessage);
  } catch (e) {
    process.send?.({ type: 'failed', error: (e as Error).stack ?? String(e) } satisfies ChildMessage);
  }
}

if (require.main === module) void main();
