import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildCapacityProgram, readReports } from '../../runtime/continuum/capacity';
import type { ExperimentReport } from '../../runtime/continuum/report';
import type { MeasuredReport } from '../../runtime/capacity/profile';
import { cloudOnlyOf, continuum, syntheticReport } from '../capacity/fixtures';

// The main job's report is what the capacity model reads: it must stay assignable to the fit's input shape.
const assignable = (r: ExperimentReport): MeasuredReport => r;

describe('npm run capacity / npm run plan', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'capacity-'));
  const truth = continuum();
  const experiments = [1, 2].map((p) => ({ kind: 'continuum-experiment', ...syntheticReport(truth, cloudOnlyOf(truth), p) }));
  const sweep = path.join(dir, 'sweep.json');
  writeFileSync(sweep, JSON.stringify({ kind: 'continuum-sweep', experiments }));
  const run = async (...args: string[]) => {
    const lines: string[] = [];
    await buildCapacityProgram((s) => lines.push(s)).parseAsync(args, { from: 'user' });
    return lines.join('\n');
  };

  it('validate reads a sweep, prints predicted vs measured and writes JSON next to it', async () => {
    expect(assignable).toBeInstanceOf(Function);
    const out = await run('validate', sweep);
    expect(out).toMatch(/\| synthetic-p2 p2#2 \| mirrored \| from synthetic-p1 p1#1 \|/);
    const written = JSON.parse(readFileSync(path.join(dir, 'capacity-validation.json'), 'utf8'));
    expect(written).toMatchObject({ kind: 'capacity-validation', inputs: [sweep], reference: 'synthetic-p1 p1#1' });
    expect(written.maxCrossErrorP1P2).toBeLessThan(0.2);
  });

  it('plan answers for an environment, fitted on the sweep’s p1', async () => {
    const out = await run('plan', '--devices', '20', '--rate', '5', '--p95-ms', '120', '--env', 'paper-ha-p2', '--profile', sweep);
    expect(out).toMatch(/Plan for paper-ha-p2: 20 devices × 5 req\/s = 100 req\/s, p95 ≤ 120 ms/);
    expect(out).toMatch(/\| edge \| [\d.]+ \| \d+ \| \d+ \| 3 \|/);
    expect(out).toMatch(/Predicted: p50 [\d.]+ ms, p95 [\d.]+ ms/);
  });

  it('names a file that is not a report', () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ kind: 'worker-throughput' }));
    expect(() => readReports(bad)).toThrow(/bad\.json: kind "worker-throughput" is neither/);
    expect(() => readReports(path.join(dir, 'missing.json'))).toThrow(/missing\.json: not a readable JSON file/);
  });
});
