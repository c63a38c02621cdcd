import type { DeviceRecord } from '../../contracts/records';
import { renderSvg } from '../../runtime/charts/render';
import { phaseBounds, phaseTable, renderScenarioTable, scenarioChart, WAN_DROP_DEFAULTS, wanDropPhases, windowStats, type ScenarioRun } from '../../runtime/continuum/scenario';

const rec = (sentS: number, responseMs: number | null, ok = true, layer = 'edge'): DeviceRecord => ({
  deviceId: 'device-0',
  requestId: `r${sentS}-${responseMs}`,
  imageId: 0,
  label: 1,
  sentAt: 1000_000 + sentS * 1000,
  answeredAt: responseMs === null ? null : 1000_000 + sentS * 1000 + responseMs,
  responseMs,
  layer: responseMs === null ? null : layer,
  predicted: responseMs === null ? null : ok ? 1 : 2,
  topProb: null,
  modelVersion: null,
  hops: [],
});

describe('wan-drop phases', () => {
  test("the issue's defaults: 100 Mbit/s, 60 s at 5 Mbit/s + 80 ms, a 10 s cut, recovery, an edge slowdown", () => {
    const p = wanDropPhases(WAN_DROP_DEFAULTS);
    expect(p.map((x) => [x.durationS, x.wan, x.extraEdgePredictMs])).toEqual([
      [30, { latencyMs: 15, bandwidthMbps: 100 }, 0],
      [60, { latencyMs: 80, bandwidthMbps: 5 }, 0],
      [10, 'cut', 0],
      [30, { latencyMs: 15, bandwidthMbps: 100 }, 0],
      [30, { latencyMs: 15, bandwidthMbps: 100 }, 20],
    ]);
    expect(phaseBounds(p).map((b) => [b.fromS, b.toS])).toEqual([[0, 30], [30, 90], [90, 100], [100, 130], [130, 160]]);
  });

  test('a phase of 0 s is left out (short versions for tests)', () => {
    expect(wanDropPhases({ ...WAN_DROP_DEFAULTS, phaseS: [1, 0, 1, 0, 0] }).map((p) => p.wan === 'cut')).toEqual([false, true]);
  });
});

describe('what the records become', () => {
  const phases = wanDropPhases({ ...WAN_DROP_DEFAULTS, phaseS: [10, 10, 0, 0, 0] });
  const records = [rec(1, 10), rec(2, 30), rec(6, 20, false), rec(11, 200, true, 'cloud'), rec(12, null), rec(19, 100, true, 'cloud')];

  test('p50/p95 per window by send time; a window without answers has none', () => {
    const w = windowStats(records, 1000_000, 5, 25);
    expect(w.map((x) => [x.t, x.sent, x.answered, x.p50, x.p95])).toEqual([
      [0, 2, 2, 10, 30],
      [5, 1, 1, 20, 20],
      [10, 2, 1, 200, 200],
      [15, 1, 1, 100, 100],
      [20, 0, 0, null, null],
    ]);
  });

  test('per phase: p50, p95, accuracy, lost and the share answered at the edge, then all', () => {
    const rows = phaseTable(records, phases, 1000_000, 'edge');
    expect(rows.map((r) => r.phase)).toEqual(['1 WAN 100 Mbit/s', '2 WAN 5 Mbit/s + 80 ms', 'all']);
    expect(rows[0]).toMatchObject({ sent: 3, p50: 20, p95: 30, lost: 0, edgeShare: 1 });
    expect(rows[0].accuracy).toBeCloseTo(2 / 3, 9);
    expect(rows[1]).toMatchObject({ sent: 3, p50: 100, p95: 200, accuracy: 1, lost: 1, edgeShare: 0 });
    expect(rows[2]).toMatchObject({ sent: 6, lost: 1 });
  });

  test('the chart holds both runs and the decisions; the table one row per run and phase', async () => {
    const run = (name: string, decisions: ScenarioRun['decisions']): ScenarioRun => ({
      name,
      controller: decisions.length > 0,
      backend: 'tensorflow',
      windows: windowStats(records, 1000_000, 5, 20),
      phases: phaseTable(records, phases, 1000_000, 'edge'),
      decisions,
    });
    const runs = [run('without controller', []), run('with controller', [{ t: 12, setting: 'edge-only', reason: 'WAN down' }])];
    const svg = await renderSvg(scenarioChart('wan-drop', runs, phaseBounds(phases), 5));
    expect(svg).toMatch(/^<svg/);
    for (const label of ['with controller p95', 'without controller p50', 'edge-only', '2 WAN 5 Mbit/s + 80 ms']) expect(svg).toContain(label);
    const table = renderScenarioTable(runs);
    expect(table.split('\n')).toHaveLength(2 + 2 * 3);
    expect(table).toContain('| with controller | 2 WAN 5 Mbit/s + 80 ms | 3 | 100.0 | 200.0 | 100.00 % | 0.00 % | 1 |');
  });
});
