import { buildReport, timeBreakdown } from '../../runtime/continuum/report';
import { PAPER } from '../../runtime/continuum/paper';
import { collect } from '../../runtime/collector/collect';
import { cloudOnlyRun, earlyExitRun, input, rec } from './fixtures';

describe('buildReport', () => {
  const report = buildReport(input);
  const [direct] = report.earlyExit;

  it('counts answers per layer and the exit share', () => {
    expect(direct.answeredPerLayer).toEqual({ edge: 6, cloud: 4 });
    expect(direct.exitLayer).toBe('edge');
    expect(direct.exitShare).toBeCloseTo(0.6);
    expect(direct.delivery).toEqual({ sent: 10, answered: 10, unanswered: 0, duplicates: 0 });
  });

  it('computes global accuracy with exits and for the cloud-only baseline', () => {
    expect(direct.globalAccuracy).toBeCloseTo(7 / 10);
    expect(report.cloudOnly.accuracy).toBeCloseTo(8 / 10);
  });

  it('compares the exit with the full model on the same exit-answered images', () => {
    expect(direct.exitAccuracyOnExitSet).toBeCloseTo(4 / 6);
    // Cloud-only is wrong on image 5 only among 0–5.
    expect(direct.fullModelAccuracyOnExitSet).toBeCloseTo(5 / 6);
    // Edge predicted 5 for image 4 (full model: 4) and 6 for image 5 (full model: 0): 4 of 6 agree.
    expect(direct.exitAgreementWithFullModel).toBeCloseTo(4 / 6);
  });

  it("takes §5.2's measures from the collector: the same numbers as runtime/collector on the same records", () => {
    const c = collect(earlyExitRun.records, { fullModel: cloudOnlyRun.records, layerOrder: ['edge', 'cloud'] });
    const edge = c.layers.find((l) => l.layer === 'edge')!;
    expect([direct.globalAccuracy, direct.exitShare, direct.exitAccuracyOnExitSet, direct.fullModelAccuracyOnExitSet]).toEqual([c.accuracy, edge.share, edge.accuracy, edge.fullModelAccuracy]);
    expect(direct.answeredPerLayer).toEqual(Object.fromEntries(c.layers.map((l) => [l.layer, l.answered])));
  });

  it('summarizes response times per layer and derives speed-ups against cloud-only', () => {
    expect(direct.responseTimeMs.perLayer.edge.avg).toBe(10);
    expect(direct.responseTimeMs.perLayer.cloud.avg).toBe(100);
    expect(direct.responseTimeMs.all.avg).toBeCloseTo(46);
    expect(direct.responseTimeMs.cloudOnlyOnExitSet).toMatchObject({ count: 6, avg: 50 });
    expect(report.cloudOnly.responseTimeMs.avg).toBe(50);
    expect(direct.speedUp.earlyExits).toBeCloseTo(5);
    expect(direct.speedUp.total).toBeCloseTo(50 / 46);
    expect(direct.responseTimeImprovement).toBeCloseTo(1 - 46 / 50);
  });

  it('divides WAN bytes by the requests sent', () => {
    expect(direct.wanBytesPerRequest).toEqual({ up: 4000, down: 200, total: 4200 });
    expect(report.cloudOnly.wanBytesPerRequest.total).toBe(3800);
    expect(direct.throughputPerSecond).toBe(5);
  });

  it('counts a duplicate answer once and reports it, and reports unanswered requests', () => {
    const dup = { ...earlyExitRun, sent: 11, records: [...earlyExitRun.records, rec(0, 0, 3, 'cloud', 999)] };
    const r = buildReport({ ...input, earlyExit: [{ transport: 'mirrored', run: dup }] }).earlyExit[0];
    expect(r.transport).toBe('mirrored');
    expect(r.delivery).toEqual({ sent: 11, answered: 10, unanswered: 1, duplicates: 1 });
    expect(r.globalAccuracy).toBeCloseTo(7 / 10);
    expect(r.responseTimeMs.all.max).toBe(100);
  });

  it('keeps layers the setup did not name and shows unmeasurable figures as NaN', () => {
    const odd = { ...earlyExitRun, records: [rec(1, 1, 1, 'fog', 20)] };
    const r = buildReport({ ...input, earlyExit: [{ transport: 'direct', run: odd }], cloudOnly: { ...cloudOnlyRun, records: [] } }).earlyExit[0];
    expect(r.answeredPerLayer).toEqual({ edge: 0, cloud: 0, fog: 1 });
    expect(r.exitAccuracyOnExitSet).toBeNaN();
    expect(r.speedUp.earlyExits).toBeNaN();
  });

  it('carries the paper numbers with their source', () => {
    expect(report.paper.edgeShare.value).toBe(0.5416);
    expect(PAPER.fullModelAccuracyOnEdgeSet.source).toMatch(/92\.49/);
  });

  it('rejects a setup with a single layer', () => {
    expect(() => buildReport({ ...input, setup: { ...input.setup, layers: ['cloud'] } })).toThrow(/setup\.layers/);
  });
});

describe('timeBreakdown', () => {
  it('splits a forwarded request into device, worker, WAN and answer segments', () => {
    const r = {
      ...rec(1, 1, 1, 'cloud', 100),
      sentAt: 1000,
      hops: [
        { layer: 'edge', inAt: 1005, outAt: 1015, modelMs: 4 },
        { layer: 'cloud', inAt: 1045, outAt: 1070, modelMs: 20 },
      ],
    };
    expect(timeBreakdown([r, { ...r, requestId: 'x', hops: [] }])).toEqual([
      { segment: 'device → edge worker', avgMs: 5 },
      { segment: 'edge worker (queue, batch, predict)', avgMs: 10 },
      { segment: '  of which edge predict', avgMs: 4 },
      { segment: 'edge → cloud worker', avgMs: 30 },
      { segment: 'cloud worker (queue, batch, predict)', avgMs: 25 },
      { segment: '  of which cloud predict', avgMs: 20 },
      { segment: 'cloud worker → device', avgMs: 30 },
    ]);
  });

  it('is empty without hops, and the report carries it per answering layer', () => {
    expect(timeBreakdown([rec(1, 1, 1, 'edge', 10)])).toEqual([]);
    expect(buildReport(input).earlyExit[0].breakdownMs).toEqual({ edge: [], cloud: [] });
  });
});
