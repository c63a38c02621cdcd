import { expectedVisits, requestPath, simulate } from '../../runtime/capacity/model';
import { seeded } from '../../runtime/capacity/prng';
import { continuum, layer, singleQueue } from './fixtures';

describe('capacity model: queueing sanity', () => {
  // λ = 10 devices × rate; every request's only cost is S ms of CPU on one core (processor sharing): two Kafka
  // hops of S/2 (request in, answer out). For a PS station the mean response to a total demand S is S / (1 − ρ)
  // however the demand is split into visits (BCMP), so the M/M/1 formula holds.
  const S = 10;
  const ps = (rho: number) =>
    singleQueue({
      groups: { cloud: 1, devices: 1e6 },
      layers: [layer('cloud', { kafkaHopMs: S / 2, predict: { fixedMs: 0, perItemMs: 0 } })],
      arrival: { kind: 'poisson', devices: 10, ratePerDevice: (rho / S) * 100 },
    });

  it('a processor-sharing CPU matches the M/M/1 mean response time S / (1 − ρ) (M/G/1-PS is insensitive to the service distribution)', () => {
    for (const rho of [0.3, 0.6, 0.8]) {
      const r = simulate(ps(rho), { seed: 7, requests: 20_000 });
      expect(r.all.avg).toBeGreaterThan((S / (1 - rho)) * 0.92);
      expect(r.all.avg).toBeLessThan((S / (1 - rho)) * 1.08);
      expect(r.utilisation.cloud).toBeCloseTo(rho, 1);
      expect(r.throughputPerSecond).toBeGreaterThan(100 * rho * 0.95);
    }
  });

  it('the devices share one event loop: their CPU is an M/D/1 FCFS queue, not processor sharing', () => {
    const rho = 0.7;
    const p = singleQueue({
      groups: { cloud: 1e6, devices: 1 },
      devices: { group: 'devices', cpuPerRequestMs: S },
      arrival: { kind: 'poisson', devices: 10, ratePerDevice: (rho / S) * 100 },
    });
    const r = simulate(p, { seed: 5, requests: 20_000 });
    const expected = S + (rho * S) / (2 * (1 - rho)); // 21.7 ms; processor sharing would give S / (1 − ρ) = 33.3
    expect(r.all.avg).toBeGreaterThan(expected * 0.93);
    expect(r.all.avg).toBeLessThan(expected * 1.07);
  });

  it('a worker with batches of one is an M/D/1 FCFS queue: S + ρS / (2(1 − ρ))', () => {
    const rho = 0.7;
    const p = singleQueue({
      layers: [layer('cloud', { maxBatch: 1, predict: { fixedMs: S, perItemMs: 0 } })],
      arrival: { kind: 'poisson', devices: 10, ratePerDevice: (rho / S) * 100 },
    });
    const r = simulate(p, { seed: 3, requests: 20_000 });
    const expected = S + (rho * S) / (2 * (1 - rho));
    expect(r.all.avg).toBeGreaterThan(expected * 0.93);
    expect(r.all.avg).toBeLessThan(expected * 1.07);
  });

  it('at low load p50 is the sum of service and base times', () => {
    const p = continuum({ arrival: { kind: 'closed', devices: 1 }, jitterCv: { exit: 0, forward: 0 }, groups: { edge: 4, cloud: 4, devices: 4 } });
    const r = simulate(p, { seed: 1, requests: 2000 });
    const edge = p.layers[0];
    const exitPath = requestPath(p, true);
    const cpu = exitPath.reduce((s, st) => s + (st.kind === 'cpu' ? st.ms : 0), 0);
    const expected = cpu + edge.predict.fixedMs + edge.predict.perItemMs + p.baseMs['device → edge worker'] + p.baseMs['edge worker → device'];
    expect(r.perLayer.edge.p50).toBeCloseTo(expected, 6);
    expect(r.perLayer.edge.p95).toBeCloseTo(expected, 6);
    // Forwarded requests add the WAN both ways: latency + serialisation of their bytes.
    expect(r.perLayer.cloud.p50).toBeGreaterThan(expected + 2 * p.wan.oneWayMs);
  });

  it('the tail grows as utilisation approaches 1', () => {
    const at = (rho: number) => simulate(ps(rho), { seed: 5, requests: 10_000 }).all.p95;
    const p95s = [0.3, 0.6, 0.9].map(at);
    expect(p95s[1]).toBeGreaterThan(p95s[0] * 1.5);
    expect(p95s[2]).toBeGreaterThan(p95s[1] * 2.5);
  });

  it('is deterministic for a seed, and the seed matters', () => {
    const a = simulate(continuum(), { seed: 11, requests: 1500 });
    const b = simulate(continuum(), { seed: 11, requests: 1500 });
    const c = simulate(continuum(), { seed: 12, requests: 1500 });
    expect(b).toEqual(a);
    expect(c.all.avg).not.toBe(a.all.avg);
  });

  it('conserves requests: each measured request is answered once, by the exit or the last layer, in the exit share', () => {
    const r = simulate(continuum(), { seed: 2, requests: 5000 });
    expect(r.all.count).toBe(5000);
    expect(r.perLayer.edge.count + r.perLayer.cloud.count).toBe(5000);
    expect(r.perLayer.edge.count / 5000).toBeCloseTo(0.55, 1);
    const visits = expectedVisits(continuum());
    expect(visits['worker:edge']).toBe(1);
    expect(visits['worker:cloud']).toBeCloseTo(0.45, 10);
    expect(visits['wan:up']).toBeCloseTo(0.45, 10);
  });

  it('more replicas help only when the CPU has the cores for them', () => {
    const run = (cores: number, replicas: number) =>
      simulate(
        singleQueue({
          groups: { cloud: cores, devices: 1e6 },
          layers: [layer('cloud', { replicas, maxBatch: 1, predict: { fixedMs: 10, perItemMs: 0 } })],
          arrival: { kind: 'closed', devices: 16 },
        }),
        { seed: 4, requests: 4000 },
      ).throughputPerSecond;
    // One core: ~100 answers/s however many replicas; four cores: four replicas serve ~4×.
    expect(run(1, 4)).toBeLessThan(run(1, 1) * 1.05);
    expect(run(4, 4)).toBeGreaterThan(run(4, 1) * 3.5);
  });

  it('names a missing CPU group', () => {
    expect(() => simulate(continuum({ groups: { edge: 1, cloud: 1 } }))).toThrow(/CPU group "devices"/);
  });
});

describe('seeded PRNG', () => {
  it('draws gamma variates with the asked mean and cv', () => {
    const r = seeded(1);
    const xs = Array.from({ length: 50_000 }, () => r.gamma(10, 0.5));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(mean).toBeCloseTo(10, 0);
    expect(sd / mean).toBeCloseTo(0.5, 1);
    expect(seeded(1).gamma(10, 0)).toBe(10);
  });
});
