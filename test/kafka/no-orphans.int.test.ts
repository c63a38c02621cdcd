/**
 * No JVM outlives the process that started it: Ctrl-C (SIGINT) stops the cluster cleanly, and a
 * SIGKILLed parent (no handler runs) is cleaned up by the per-JVM watchdog.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';

const ROOT = path.resolve(__dirname, '../..');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return cond();
}

/** Starts the CLI in a child Node process and resolves with its 'ready' event. */
function startCli(args: string[]): Promise<{ child: ChildProcess; ready: { pids: number[]; dataDir: string } }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'runtime/kafka/cli.ts'), ...args, '--json'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const ev = JSON.parse(line);
        if (ev.event === 'ready') resolve({ child, ready: ev });
      } catch {
        /* not an event line */
      }
    });
    child.once('exit', (code) => reject(new Error(`cli exited (${code}) before ready: ${err}`)));
  });
}

const children: ChildProcess[] = [];
const pids: number[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  // Belt and braces: whatever this test failed to clean up, it kills.
  for (const c of children) c.kill('SIGKILL');
  for (const p of pids) if (alive(p)) process.kill(p, 'SIGKILL');
});

test('SIGKILL of the parent process leaves no JVM behind', async () => {
  const { child, ready } = await startCli(['start', '--name', 'orphan-kill', '--coordination', 'zookeeper']);
  children.push(child);
  pids.push(...ready.pids);
  dirs.push(ready.dataDir); // a killed CLI cannot remove its data directory
  expect(ready.pids).toHaveLength(2); // broker + ZooKeeper
  expect(ready.pids.every(alive)).toBe(true);
  child.kill('SIGKILL');
  expect(await waitUntil(() => !ready.pids.some(alive), 10_000)).toBe(true);
}, 120_000);

test('Ctrl-C (SIGINT) stops the cluster cleanly and the CLI exits 0', async () => {
  const { child, ready } = await startCli(['start', '--name', 'orphan-int', '--coordination', 'kraft']);
  children.push(child);
  pids.push(...ready.pids);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(ready.pids.some(alive)).toBe(false);
}, 120_000);
