import { cpuPerRequestTable, summarizeCpuRun, type RosterEntry } from '../../runtime/continuum/cpu-usage';
import { cpuBudgets } from '../../runtime/continuum/experiment';
import { parseRunOptions } from '../../runtime/continuum/options';
import { getEnvironment } from '../../environments';
import { renderTable, cpuTable } from '../../runtime/continuum/table';
import type { ExperimentReport } from '../../runtime/continuum/report';

const roster: RosterEntry[] = [
  { layer: 'edge', kind: 'broker', name: 'edge broker 1', pid: 1 },
  { layer: 'edge', kind: 'broker', name: 'edge broker 2', pid: 2 },
  { layer: 'edge', kind: 'worker', name: 'worker edge-1', pid: 3 },
  { layer: 'cloud', kind: 'worker', name: 'worker cloud-1', pid: 4 },
  { layer: 'devices', kind: 'devices', name: 'devices', pid: 5 },
];
const sample = (at: number, ms: Record<number, number>) => ({ at, ms: new Map(Object.entries(ms).map(([k, v]) => [Number(k), v])) });

describe('CPU per component and group', () => {
  const run = summarizeCpuRun({
    run: 'direct',
    roster,
    before: sample(1000, { 1: 100, 2: 100, 3: 50, 4: 0 }),
    // pid 5 started inside the window (counts from 0); pid 4 exited before the end (counts as 0, not negative)
    after: sample(11_000, { 1: 600, 2: 400, 3: 1050, 5: 300 }),
    requests: 100,
    budgets: { edge: 0.8, cloud: 1, devices: 0.2 },
    throttledMs: { edge: 120 },
  });

  test('per request and per group, against the budget', () => {
    expect(run.durationMs).toBe(10_000);
    expect(run.components.map((c) => c.cpuMs)).toEqual([500, 300, 1000, 0, 300]);
    expect(run.components[2].perRequestMs).toBe(10);
    expect(run.groups.edge).toEqual({ budgetCpus: 0.8, usedCpus: 0.18, throttledMs: 120 });
    expect(run.groups.devices.usedCpus).toBeCloseTo(0.03);
    expect(run.groups.cloud).toEqual({ budgetCpus: 1, usedCpus: 0, throttledMs: 0 });
  });

  test('the table sums replicas of a kind and sorts by cost', () => {
    const rows = cpuPerRequestTable(run);
    expect(rows[0]).toEqual({ layer: 'edge', kind: 'worker', processes: 1, perRequestMs: 10, cpuMs: 1000 });
    expect(rows[1]).toEqual({ layer: 'edge', kind: 'broker', processes: 2, perRequestMs: 8, cpuMs: 800 });
  });

  test('the report renders budgets, usage and per-request CPU', () => {
    const report = { cpu: { isolation: 'cgroup-v1', budgets: { edge: 0.8, cloud: 1, devices: 0.2 }, note: 'cgroup v1', runs: [run] } } as unknown as ExperimentReport;
    const text = renderTable(cpuTable(report)!);
    expect(text).toMatch(/edge \(budget 0\.8\)\s+0\.18 \(thr 0\.1 s\)/);
    expect(text).toMatch(/edge\/broker\s+8\.00 \(2\)/);
    expect(text).toMatch(/total\s+21\.00/);
  });
});

describe('budgets in force', () => {
  const local = getEnvironment('local');
  test("the environment's, overridden per group by --cpu", () => {
    expect(cpuBudgets(parseRunOptions({}, () => true), local)).toEqual({ edge: 1.2, cloud: 0.6, devices: 0.2 });
    expect(cpuBudgets(parseRunOptions({ cpu: 'edge=1.5,devices=0.3' }, () => true), local)).toEqual({ edge: 1.5, cloud: 0.6, devices: 0.3 });
  });
  test('none with --no-cpu-budgets', () => {
    expect(cpuBudgets(parseRunOptions({ cpuBudgets: false }, () => true), local)).toBeNull();
  });
  test('a group that is not a layer or devices is an error naming it', () => {
    expect(() => cpuBudgets(parseRunOptions({ cpu: 'fog=1' }, () => true), local)).toThrow(/"fog" is neither a layer of edge, cloud nor "devices"/);
  });
  test('--cpu must be name=cores pairs', () => {
    expect(() => parseRunOptions({ cpu: 'edge:0.8' }, () => true)).toThrow(/--cpu must look like edge=0.8/);
    expect(() => parseRunOptions({ cpu: 'edge=0.01' }, () => true)).toThrow(/≥ 0.05 cores/);
  });
});
