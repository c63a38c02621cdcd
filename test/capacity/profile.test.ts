import { expectedVisits } from '../../runtime/capacity/model';
import { measuredSegments, profileFromReport, retarget } from '../../runtime/capacity/profile';
import { cloudOnlyOf, continuum, syntheticReport } from './fixtures';

describe('profileFromReport', () => {
  const truth = continuum();
  const report = syntheticReport(truth, cloudOnlyOf(truth), 1);

  it('takes the budgets and the CPU per visit from the cpu table', () => {
    const { profile, fit } = profileFromReport(report, 'mirrored', { requests: 2000 });
    expect(fit.cpuSource).toBe('cpu table');
    expect(profile.groups).toEqual(truth.groups);
    expect(profile.layers.map((l) => l.group)).toEqual(['edge', 'cloud']);
    // The table holds CPU per request; the profile CPU per visit: e.g. the edge cluster is visited 2.45 times.
    expect(expectedVisits(truth)['kafka:edge']).toBeCloseTo(0.55 * 2 + 0.45 * 3, 10);
    profile.layers.forEach((l, i) => {
      expect(l.kafkaHopMs).toBeCloseTo(truth.layers[i].kafkaHopMs, 6);
      expect(l.mirrorMs).toBeCloseTo(truth.layers[i].mirrorMs, 6);
    });
    expect(profile.devices.cpuPerRequestMs).toBeCloseTo(0.2, 6);
    // Bytes per WAN crossing: the report's per-request bytes ÷ the forwarded share.
    expect(profile.wan.upBytes).toBeCloseTo(12_000, 0);
  });

  it('recovers the base latencies and predict costs of the profile that generated the report', () => {
    const { profile, fit } = profileFromReport(report, 'mirrored', { requests: 3000 });
    for (const [segment, ms] of Object.entries(truth.baseMs)) expect(Math.abs(profile.baseMs[segment] - ms)).toBeLessThan(1.5);
    profile.layers.forEach((l, i) => {
      const t = truth.layers[i].predict;
      expect(l.predict.fixedMs + l.predict.perItemMs).toBeCloseTo(t.fixedMs + t.perItemMs, 0);
    });
    expect(Math.abs(fit.residualMs.all)).toBeLessThan(1.5);
  });

  it('without a cpu table: one host CPU, bench defaults, predict fitted to the measured predict time, and says so', () => {
    const { cpu: _cpu, ...old } = report;
    const { profile, fit } = profileFromReport(old, 'mirrored', { requests: 2000, iterations: 4 });
    expect(fit.cpuSource).toMatch(/defaults/);
    expect(profile.groups).toEqual({ host: 2 });
    expect(new Set(profile.layers.map((l) => l.group))).toEqual(new Set(['host']));
    const measured = measuredSegments(report.earlyExit[0]);
    expect(Math.abs(fit.sim.predictMs.edge - measured['  of which edge predict'])).toBeLessThan(0.5);
  });

  it('fits the cloud-only baseline on its total (it has no breakdown)', () => {
    const { fit } = profileFromReport(report, 'cloud-only', { requests: 2000 });
    expect(Math.abs(fit.residualMs.all)).toBeLessThan(1);
  });

  it('names a run the report does not have', () => {
    expect(() => profileFromReport(report, 'direct')).toThrow(/has no direct run \(runs: mirrored\)/);
  });

  it('retarget changes the setup and keeps what was fitted', () => {
    const { profile } = profileFromReport(report, 'mirrored', { requests: 1500, iterations: 2 });
    const p4 = retarget(profile, { partitions: 4, brokersPerLayer: 3, devices: 5, ratePerDevice: 2, wan: { latencyMs: 30, bandwidthMbps: null } });
    expect(p4.layers.map((l) => l.replicas)).toEqual([4, 4]);
    expect(p4.arrival).toEqual({ kind: 'poisson', devices: 5, ratePerDevice: 2 });
    expect(p4.wan.oneWayMs).toBe(30);
    expect(p4.baseMs).toEqual(profile.baseMs);
  });
});
