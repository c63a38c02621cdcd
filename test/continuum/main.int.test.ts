/**
 * The main job end to end, as a user runs it: real Kafka brokers (edge + cloud behind the WAN link), MirrorMaker 2,
 * worker processes and devices, on a tiny partitioned model. The report must agree with the raw records, and neither
 * a finished run nor Ctrl-C may leave a process behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeTinyPartition } from '../../models/testing/tiny-model';
import type { AnsweredRecord } from '../../contracts/records';
import type { RunRecords } from '../../runtime/continuum/records';
import type { ExperimentReport } from '../../runtime/continuum/report';

jest.setTimeout(240_000);

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'runtime/continuum/main.ts');
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'continuum-it-'));
  // Random weights (seed 7): at threshold 0.5 the edge exit takes part of the images and the cloud the rest.
  await writeTinyPartition('edge-cloud', path.join(tmp, 'model/edge-cloud'));
  await writeTinyPartition('cloud-only', path.join(tmp, 'model/cloud-only'));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Exit {
  code: number | null;
  output: string;
  pid: number;
}

function startMain(args: string[], onOutput?: (text: string, kill: (s: NodeJS.Signals) => void, pid: number) => void): Promise<Exit> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const take = (b: Buffer) => {
    output += b.toString();
    onOutput?.(output, (s) => child.kill(s), child.pid!);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output, pid: child.pid! })));
}

/** Processes started by the main job with this pid or this model directory (JVMs, worker replicas, watchdogs). */
function leftovers(mainPid: number, modelDir: string): string[] {
  const found: string[] = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const env = cmd.includes('worker-process.ts') ? readFileSync(`/proc/${p}/environ`, 'utf8') : '';
      if (cmd.includes(`continuum-${mainPid}-`) || env.includes(modelDir)) found.push(`${p}: ${cmd.slice(0, 160)}`);
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

async function eventuallyNone(mainPid: number, modelDir: string): Promise<string[]> {
  // Children may take a moment to notice their parent is gone (watchdog poll 0.5 s, IPC disconnect).
  for (let i = 0; i < 20; i++) {
    const left = leftovers(mainPid, modelDir);
    if (left.length === 0) return left;
    await new Promise((r) => setTimeout(r, 500));
  }
  return leftovers(mainPid, modelDir);
}

const accuracy = (rs: readonly AnsweredRecord[]) => rs.filter((r) => r.predicted === r.label).length / rs.length;

describe('npm start (main job) on 40 images, 2 devices, both transports', () => {
  let exit: Exit;
  let report: ExperimentReport;
  let runs: Record<string, RunRecords>;
  const IMAGES = 40;

  beforeAll(async () => {
    const out = path.join(tmp, 'out');
    exit = await startMain([
      '--model', path.join(tmp, 'model'), '--images', String(IMAGES), '--devices', '2', '--threshold', '0.5',
      '--wan-latency', '5', '--warmup', '2', '--out', out, '--no-progress',
    ]);
    if (exit.code === 0) {
      report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
      runs = JSON.parse(readFileSync(path.join(out, 'records.json'), 'utf8'));
    }
  });

  it('exits 0 and prints the table beside the paper', () => {
    expect({ code: exit.code, tail: exit.code === 0 ? '' : exit.output.slice(-3000) }).toEqual({ code: 0, tail: '' });
    expect(exit.output).toMatch(/Share answered at the edge exit\s+\d+\.\d\d %\s+\d+\.\d\d %\s+—\s+54\.16 %/);
    expect(exit.output).toContain('report.html');
  });

  it('answers every request exactly once, in every run', () => {
    expect(Object.keys(runs).sort()).toEqual(['cloud-only', 'direct', 'mirrored']);
    for (const [name, run] of Object.entries(runs)) {
      expect({ name, sent: run.sent, answered: run.records.length }).toEqual({ name, sent: IMAGES, answered: IMAGES });
      expect(new Set(run.records.map((r) => r.requestId)).size).toBe(IMAGES);
      expect(run.records.map((r) => r.imageId).sort((a, b) => a - b)).toEqual([...Array(IMAGES).keys()]);
      expect(new Set(run.records.map((r) => r.deviceId))).toEqual(new Set(['device-0', 'device-1']));
    }
    for (const r of [...report.earlyExit.map((e) => e.delivery), report.cloudOnly.delivery]) {
      expect(r).toEqual({ sent: IMAGES, answered: IMAGES, unanswered: 0, duplicates: 0 });
    }
  });

  it('reports numbers that agree with the raw records', () => {
    const fullModel = new Map(runs['cloud-only'].records.map((r) => [r.imageId, r.predicted]));
    expect(runs['cloud-only'].records.every((r) => r.layer === 'cloud')).toBe(true);
    expect(report.cloudOnly.accuracy).toBeCloseTo(accuracy(runs['cloud-only'].records), 10);
    for (const e of report.earlyExit) {
      const records = runs[e.transport].records;
      const edge = records.filter((r) => r.layer === 'edge');
      const cloud = records.filter((r) => r.layer === 'cloud');
      expect(e.answeredPerLayer).toEqual({ edge: edge.length, cloud: cloud.length });
      expect(edge.length + cloud.length).toBe(IMAGES);
      // Both exits take part, so the comparison is meaningful.
      expect(edge.length).toBeGreaterThan(0);
      expect(cloud.length).toBeGreaterThan(0);
      expect(e.exitShare).toBeCloseTo(edge.length / IMAGES, 10);
      expect(e.globalAccuracy).toBeCloseTo(accuracy(records), 10);
      expect(e.exitAccuracyOnExitSet).toBeCloseTo(accuracy(edge), 10);
      expect(e.fullModelAccuracyOnExitSet).toBeCloseTo(edge.filter((r) => fullModel.get(r.imageId) === r.label).length / edge.length, 10);
      const avg = (rs: readonly AnsweredRecord[]) => rs.reduce((s, r) => s + r.responseMs, 0) / rs.length;
      expect(e.responseTimeMs.perLayer.edge.avg).toBeCloseTo(avg(edge), 6);
      expect(e.responseTimeMs.all.avg).toBeCloseTo(avg(records), 6);
      expect(e.speedUp.earlyExits).toBeCloseTo(report.cloudOnly.responseTimeMs.avg / avg(edge), 6);
      // The cloud-answered requests crossed the WAN: features up, answers down.
      expect(runs[e.transport].wanBytes.up).toBeGreaterThan(0);
      expect(runs[e.transport].wanBytes.down).toBeGreaterThan(0);
    }
    // Same model, same images: the edge-cloud runs agree on which images the edge answered.
    const edgeSet = (t: string) => runs[t].records.filter((r) => r.layer === 'edge').map((r) => r.imageId).sort((a, b) => a - b);
    expect(edgeSet('direct')).toEqual(edgeSet('mirrored'));
    expect(runs['cloud-only'].wanBytes.up).toBeGreaterThan(IMAGES * 3072);
  });

  it('writes a self-contained HTML report with plots', () => {
    const html = readFileSync(path.join(tmp, 'out/report.html'), 'utf8');
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(3);
    expect(html).not.toMatch(/NaN|undefined/);
  });

  it('leaves no process behind', async () => {
    expect(await eventuallyNone(exit.pid, path.join(tmp, 'model'))).toEqual([]);
  });
});

describe('Ctrl-C', () => {
  it('stops brokers, MirrorMaker 2 and workers mid-stream and exits 130', async () => {
    let sent = false;
    let seenRunning: string[] = [];
    const modelDir = path.join(tmp, 'model');
    const exit = await startMain(
      ['--model', modelDir, '--transport', 'mirrored', '--images', '300', '--devices', '2', '--threshold', '0.5', '--rate', '2', '--warmup', '0', '--out', path.join(tmp, 'out-sigint'), '--no-progress', '--no-baseline'],
      (output, kill, pid) => {
        if (!sent && output.includes('streaming 300 images')) {
          sent = true;
          // Everything is up now: record it, then press Ctrl-C.
          seenRunning = leftovers(pid, modelDir);
          kill('SIGINT');
        }
      },
    );
    expect(sent).toBe(true);
    expect(seenRunning.length).toBeGreaterThan(0);
    expect(exit.code).toBe(130);
    expect(exit.output).toContain('SIGINT: stopping');
    expect(await eventuallyNone(exit.pid, modelDir)).toEqual([]);
    expect(existsSync(path.join(tmp, 'out-sigint/report.json'))).toBe(false);
  });
});
