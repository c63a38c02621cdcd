import { collect, latencySummary, percentile } from '../../../runtime/collector/collect';
import type { DeviceRecord } from '../../../runtime/devices/session';

function rec(imageId: number, label: number, layer: string | null, predicted: number | null, responseMs: number | null): DeviceRecord {
  return {
    deviceId: 'device-0',
    requestId: `r${imageId}-${layer}`,
    imageId,
    label,
    sentAt: 1000,
    answeredAt: responseMs === null ? null : 1000 + responseMs,
    responseMs,
    layer,
    predicted,
    topProb: predicted === null ? null : 0.9,
    modelVersion: predicted === null ? null : 'v1',
    hops: [],
  };
}

describe('collector', () => {
  // 4 edge answers (3 right), 2 cloud answers (1 right), 1 lost
  const run = [
    rec(0, 1, 'edge', 1, 10),
    rec(1, 2, 'edge', 2, 20),
    rec(2, 3, 'edge', 3, 30),
    rec(3, 4, 'edge', 0, 40),
    rec(4, 5, 'cloud', 5, 100),
    rec(5, 6, 'cloud', 0, 300),
    rec(6, 7, null, null, null),
  ];
  // the full model gets images 0–3 right except 2, and image 4 wrong
  const fullModel = [rec(0, 1, 'cloud', 1, 90), rec(1, 2, 'cloud', 2, 90), rec(2, 3, 'cloud', 9, 90), rec(3, 4, 'cloud', 4, 90), rec(4, 5, 'cloud', 1, 90)];

  test('global accuracy, shares and accuracy per answering layer', () => {
    const r = collect(run, { layerOrder: ['edge', 'cloud'] });
    expect(r).toMatchObject({ requests: 7, answered: 6, lost: 1, fullModelAccuracy: null });
    expect(r.accuracy).toBeCloseTo(4 / 6, 12);
    expect(r.layers.map((l) => [l.layer, l.answered, l.share, l.accuracy])).toEqual([
      ['edge', 4, 4 / 6, 3 / 4],
      ['cloud', 2, 2 / 6, 1 / 2],
    ]);
  });

  test("each layer's accuracy beside the full model's on the same images (joined by image id)", () => {
    const r = collect(run, { fullModel, layerOrder: ['edge', 'cloud'] });
    const edge = r.layers[0];
    expect(edge.fullModelCovered).toBe(4);
    expect(edge.fullModelAccuracy).toBe(3 / 4); // images 0,1,3 right, 2 wrong
    const cloud = r.layers[1];
    expect(cloud.fullModelCovered).toBe(1); // image 5 was not in the full-model run
    expect(cloud.fullModelAccuracy).toBe(0);
    expect(r.fullModelAccuracy).toBe(3 / 5);
  });

  test('response time avg/p50/p95/p99 per answering layer', () => {
    const r = collect(run, { layerOrder: ['edge', 'cloud'] });
    expect(r.layers[0].responseTime).toEqual({ count: 4, avgMs: 25, p50Ms: 20, p95Ms: 40, p99Ms: 40, maxMs: 40 });
    expect(r.layers[1].responseTime).toMatchObject({ count: 2, avgMs: 200, p50Ms: 100, p99Ms: 300 });
    expect(r.responseTime.count).toBe(6);
  });

  test('layers not in the given order come last, alphabetically', () => {
    expect(collect(run).layers.map((l) => l.layer)).toEqual(['cloud', 'edge']);
    expect(collect(run, { layerOrder: ['edge'] }).layers.map((l) => l.layer)).toEqual(['edge', 'cloud']);
  });

  test('nearest-rank percentiles', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(v, 50), percentile(v, 95), percentile(v, 99), percentile(v, 100), percentile(v, 0)]).toEqual([50, 95, 99, 100, 1]);
    expect(percentile([], 50)).toBeNaN();
    expect(latencySummary([]).count).toBe(0);
  });

  test('percentiles are observed values by nearest rank; p outside 0..100 is rejected', () => {
    const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(v, 50)).toBe(5);
    expect(percentile(v, 95)).toBe(10);
    expect(percentile(v, 0)).toBe(1);
    expect(percentile(v, 100)).toBe(10);
    expect(() => percentile([1], 101)).toThrow(/0\.\.100/);
    expect(() => percentile([1], -1)).toThrow(/0\.\.100/);
  });

  test('an empty run reports NaN accuracy rather than a made-up number', () => {
    const r = collect([]);
    expect(r.accuracy).toBeNaN();
    expect(r.layers).toEqual([]);
  });
});
