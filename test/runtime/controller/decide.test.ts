import {
  best,
  candidates,
  chooseBatchWait,
  DEFAULT_HYSTERESIS,
  initialState,
  minAccuracy,
  predict,
  step,
  type Calibration,
  type ControllerState,
  type Setting,
  type Snapshot,
} from '../../../runtime/controller/decide';

/** compact-branchynet edge-cloud (npm run calibrate, max-softmax), a few rows of the sweep. */
const CAL: Calibration = {
  finalExitAccuracy: 0.9037,
  accuracyBudget: 0.01,
  points: [
    { threshold: 0, edgeShare: 1, overallAccuracy: 0.8155 },
    { threshold: 0.6, edgeShare: 0.7, overallAccuracy: 0.88 },
    { threshold: 0.74, edgeShare: 0.6134, overallAccuracy: 0.8939 },
    { threshold: 0.8, edgeShare: 0.5591, overallAccuracy: 0.897 },
    { threshold: 0.9, edgeShare: 0.45, overallAccuracy: 0.9 },
  ],
  featureBytes: { float32: 49172, float16: 24596, int8: 12692 },
  encodingDelta: { float32: 0, float16: -0.0001, int8: 0.0001 },
};

const MBIT = 125_000;

function snap(over: Partial<Snapshot> = {}): Snapshot {
  return {
    at: 0,
    requestRate: 60,
    edge: { predictMs: 4, batchSize: 1, lag: 0 },
    cloud: { predictMs: 6, batchSize: 1, lag: 0 },
    wanRttMs: 30,
    wanBandwidth: 100 * MBIT,
    localRttMs: 2,
    ...over,
  };
}

const START: Setting = { placement: 'split', threshold: 0.8, featuresDtype: 'float16', batchMaxWaitMs: 0 };

/** Runs windows of 2 s through the controller, returning every change. */
function run(snaps: Snapshot[], state: ControllerState = initialState(START, -60_000), cal: Calibration = CAL) {
  const changes: { at: number; to: Setting; reason: string }[] = [];
  for (const s of snaps) {
    const d = step(state, s, cal);
    state = d.state;
    if (d.change) changes.push({ at: s.at, to: d.change.to, reason: d.change.reason });
  }
  return { state, changes };
}

describe('cost model', () => {
  test('forwarded requests pay WAN transfer + round trip + cloud; answered ones only the edge', () => {
    const s = snap({ wanBandwidth: 5 * MBIT, wanRttMs: 160, requestRate: 1 });
    const p = predict(START, s, CAL);
    const transfer = (24596 / (5 * MBIT)) * 1000;
    // 44 % forwarded > 5 %: the p95 is the forward path's
    expect(p.p95Ms).toBeGreaterThan(4 + transfer + 160 + 6);
    expect(p.p95Ms).toBeLessThan(4 + transfer + 160 + 6 + 1);
    expect(p.meanMs).toBeCloseTo(0.5591 * (4 + 2) + 0.4409 * p.p95Ms, 6);
    expect(p.accuracy).toBeCloseTo(0.897 - 0.4409 * 0.0001, 9);
  });

  test('a WAN that cannot carry the forwards predicts an unbounded p95', () => {
    // 60 req/s × 44 % × 24.6 kB = 650 kB/s > 625 kB/s at 5 Mbit/s
    const p = predict(START, snap({ wanBandwidth: 5 * MBIT }), CAL);
    expect(p.wanUtilisation).toBeGreaterThan(1);
    expect(p.p95Ms).toBe(Infinity);
  });

  test('edge-only answers everything at the edge, at the edge exit accuracy', () => {
    const p = predict({ ...START, placement: 'edge-only', threshold: 0 }, snap({ wanRttMs: null }), CAL);
    expect(p).toEqual({ meanMs: 6, p95Ms: 6, accuracy: 0.8155, wanUtilisation: 0 });
  });
});

describe('best setting of one window', () => {
  test('fast WAN: the most early exits within the budget, and the smallest encoding', () => {
    const { candidate } = best(snap(), CAL);
    expect(candidate.setting).toEqual({ placement: 'split', threshold: 0.74, featuresDtype: 'int8', batchMaxWaitMs: 0 });
  });

  test('the budget is respected whatever the WAN: never a threshold whose accuracy is below it', () => {
    for (const bw of [1, 2, 5, 20, 100, 1000]) {
      for (const rtt of [1, 30, 160, 400]) {
        const { candidate } = best(snap({ wanBandwidth: bw * MBIT, wanRttMs: rtt, requestRate: 20 }), CAL);
        if (candidate.setting.placement === 'split') expect(candidate.prediction.accuracy).toBeGreaterThanOrEqual(minAccuracy(CAL) - 1e-9);
        expect(candidate.setting.threshold).not.toBe(0.6); // 88 % < 89.37 %
      }
    }
  });

  test('encodings the model cannot forward are never chosen', () => {
    const { candidate } = best(snap(), { ...CAL, featureBytes: { float32: 49172, float16: 24596 } });
    expect(candidate.setting.featuresDtype).toBe('float16');
  });

  test('WAN down: every request at the edge (threshold 0 there), whatever the budget', () => {
    const { candidate, reason } = best(snap({ wanRttMs: null }), CAL);
    expect(candidate.setting).toMatchObject({ placement: 'edge-only', threshold: 0 });
    expect(reason).toMatch(/WAN down/);
  });

  test('a calibration that cannot meet the budget: the most accurate split setting', () => {
    const { candidate, reason } = best(snap(), { ...CAL, accuracyBudget: 0 });
    expect(candidate.setting.threshold).toBe(0.9);
    expect(reason).toMatch(/no setting meets/);
  });

  test('candidates cover every calibrated threshold × encoding plus edge-only', () => {
    expect(candidates(snap(), CAL)).toHaveLength(4 * 3 + 1);
  });

  test('batch wait stays 0 unless a backlog meets small batches', () => {
    expect(chooseBatchWait(snap())).toBe(0);
    expect(chooseBatchWait(snap({ edge: { predictMs: 8, batchSize: 1, lag: 100 } }))).toBe(4);
    expect(chooseBatchWait(snap({ edge: { predictMs: 8, batchSize: 12, lag: 100 } }))).toBe(0);
  });
});

describe('cloud-only (the first layer relays raw requests to a whole-model worker)', () => {
  const WITH_WHOLE: Calibration = { ...CAL, inputBytes: 3300 };
  const slowEdge = { predictMs: 300, batchSize: 1, lag: 0 };
  const whole = { predictMs: 10, batchSize: 1, lag: 0 };

  test('offered only with a measured whole-model worker and the raw request size', () => {
    expect(candidates(snap({ wholeModel: whole }), CAL).some((c) => c.setting.placement === 'cloud-only')).toBe(false);
    expect(candidates(snap(), WITH_WHOLE).some((c) => c.setting.placement === 'cloud-only')).toBe(false);
    expect(candidates(snap({ wholeModel: { ...whole, predictMs: 0 } }), WITH_WHOLE).every((c) => c.setting.placement !== 'cloud-only' || !Number.isFinite(c.prediction.p95Ms))).toBe(true);
    expect(candidates(snap({ wholeModel: whole }), WITH_WHOLE)).toHaveLength(4 * 3 + 2);
  });

  test('its cost: a local hop, the raw frame across the WAN, the round trip, the whole model; its accuracy the last exit', () => {
    const p = predict({ ...START, placement: 'cloud-only' }, snap({ requestRate: 10, wholeModel: whole }), WITH_WHOLE);
    const transfer = (3300 / (100 * MBIT)) * 1000;
    const busy = (10 * 10) / 1000; // 10 req/s × 10 ms
    expect(p.p95Ms).toBeCloseTo(2 + transfer + 30 + 10 + (10 * busy) / (2 * (1 - busy)), 1);
    expect(p.accuracy).toBe(CAL.finalExitAccuracy);
  });

  test('a slow edge with a good WAN and a whole model that keeps up: cloud-only wins', () => {
    const { candidate } = best(snap({ requestRate: 10, edge: slowEdge, wholeModel: whole }), WITH_WHOLE);
    expect(candidate.setting.placement).toBe('cloud-only');
  });

  test('a whole model that cannot keep up with the request rate is never chosen (its predict × rate ≥ 1)', () => {
    const busyWhole = { predictMs: 40, batchSize: 1, lag: 0 }; // 60 req/s × 40 ms = 2.4
    const p = predict({ ...START, placement: 'cloud-only' }, snap({ edge: slowEdge, wholeModel: busyWhole }), WITH_WHOLE);
    expect(p.p95Ms).toBe(Infinity);
    expect(best(snap({ edge: slowEdge, wholeModel: busyWhole }), WITH_WHOLE).candidate.setting.placement).not.toBe('cloud-only');
  });

  test('an 80 ms WAN: cloud-only and the split predict about the same p95; the split answers half at the edge, so its lower mean wins', () => {
    const slowLink = snap({ requestRate: 20, wanRttMs: 170, wanBandwidth: 5 * MBIT, wholeModel: { predictMs: 20, batchSize: 1.5, lag: 0 } });
    const all = candidates(slowLink, WITH_WHOLE);
    const cloudOnly = all.find((c) => c.setting.placement === 'cloud-only')!;
    const { candidate } = best(slowLink, WITH_WHOLE);
    expect(candidate.setting.placement).toBe('split');
    expect(candidate.prediction.p95Ms).toBeLessThanOrEqual(cloudOnly.prediction.p95Ms * 1.1);
    expect(candidate.prediction.meanMs).toBeLessThan(cloudOnly.prediction.meanMs * 0.7);
    // and from cloud-only the controller moves to it (equal p95, mean ≥ 10 % lower), without ping-pong afterwards
    const from: Setting = { placement: 'cloud-only', threshold: 1, featuresDtype: 'int8', batchMaxWaitMs: 0 };
    const { changes } = run([2000, 4000, 6000, 8000, 10_000, 12_000].map((at) => ({ ...slowLink, at })), initialState(from, -60_000), WITH_WHOLE);
    expect(changes.map((c) => c.to.placement)).toEqual(['split']);
    expect(changes[0].reason).toMatch(/^better by ≥ 10 % for 2 windows/);
  });

  test('a fast edge keeps the split; WAN down leaves cloud-only for edge-only at once', () => {
    expect(best(snap({ requestRate: 10, wholeModel: whole }), WITH_WHOLE).candidate.setting.placement).toBe('split');
    const cloudOnly: Setting = { placement: 'cloud-only', threshold: 1, featuresDtype: 'int8', batchMaxWaitMs: 0 };
    let state = initialState(cloudOnly, 0);
    const down = snap({ at: 2000, requestRate: 10, edge: slowEdge, wholeModel: whole, wanRttMs: null });
    state = step(state, down, WITH_WHOLE).state;
    const d = step(state, { ...down, at: 4000 }, WITH_WHOLE);
    expect(d.change?.to.placement).toBe('edge-only');
  });
});

describe('hysteresis', () => {
  const windows = (n: number, from: number, over: Partial<Snapshot> = {}) => Array.from({ length: n }, (_, i) => snap({ at: from + i * 2000, ...over }));

  test('a better setting is taken only after it wins for holdWindows windows', () => {
    const { changes } = run(windows(5, 0, { wanBandwidth: 5 * MBIT, wanRttMs: 160, requestRate: 20 }));
    expect(changes).toHaveLength(1);
    expect(changes[0].at).toBe(2000); // second window
    expect(changes[0].to).toMatchObject({ threshold: 0.74, featuresDtype: 'int8' });
    expect(changes[0].reason).toMatch(/better by ≥ 10 % for 2 windows/);
  });

  test('noisy input does not flap: jumping RTT, bandwidth, load and lost probes change nothing (and would without hysteresis)', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    // Already on the best setting; every 7th probe is lost, the rest jumps ±40 % around its level.
    const tuned: Setting = { placement: 'split', threshold: 0.74, featuresDtype: 'int8', batchMaxWaitMs: 0 };
    const noisy = Array.from({ length: 200 }, (_, i) =>
      snap({
        at: i * 2000,
        wanRttMs: i % 7 === 3 ? null : 60 * (0.6 + 0.8 * rnd()),
        wanBandwidth: 10 * MBIT * (0.6 + 0.8 * rnd()),
        requestRate: 20 * (0.7 + 0.6 * rnd()),
        edge: { predictMs: 4 * (0.5 + rnd()), batchSize: 1, lag: 0 },
      }),
    );
    expect(run(noisy, initialState(tuned, -60_000)).changes).toEqual([]);
    // the same input without hysteresis flips to the edge and back at every lost probe
    let state = initialState(tuned, -60_000);
    let flips = 0;
    for (const s of noisy) {
      const d = step(state, s, CAL, { margin: 0, holdWindows: 1, minDwellMs: 0, outageWindows: 1 });
      state = d.state;
      if (d.change) flips++;
    }
    expect(flips).toBeGreaterThan(40);
  });

  test('a change waits for the minimum dwell time after the previous one', () => {
    const state = initialState(START, 0);
    const { changes } = run(windows(8, 2000, { wanBandwidth: 5 * MBIT, wanRttMs: 160, requestRate: 20 }), state);
    expect(changes[0].at).toBeGreaterThanOrEqual(DEFAULT_HYSTERESIS.minDwellMs);
  });

  test('a small gain (< margin) never changes the setting', () => {
    const tuned: Setting = { placement: 'split', threshold: 0.74, featuresDtype: 'float16', batchMaxWaitMs: 0 };
    // fast WAN, little load: int8 saves < 10 % of the p95
    const { changes } = run(windows(20, 0, { requestRate: 5 }), initialState(tuned, -60_000));
    expect(changes).toEqual([]);
  });

  test('WAN down for outageWindows: edge-only at once; back to the split once the WAN is up for holdWindows, without the dwell', () => {
    // outageWindows (2): the second window without a round trip; back at the second window with one (4 s later,
    // sooner than the 10 s dwell: edge-only was forced)
    const snaps = [...windows(3, 0), ...windows(3, 6000, { wanRttMs: null }), ...windows(4, 12_000)];
    const { changes } = run(snaps, initialState({ placement: 'split', threshold: 0.74, featuresDtype: 'int8', batchMaxWaitMs: 0 }, -60_000));
    expect(changes.map((c) => [c.at, c.to.placement])).toEqual([
      [8000, 'edge-only'],
      [14_000, 'split'],
    ]);
    expect(changes[0].reason).toMatch(/^WAN down/);
    expect(changes[1].to.threshold).toBe(0.74);
  });

  test('a setting whose WAN queue cannot keep up is left at once', () => {
    const { changes } = run(windows(1, 0, { wanBandwidth: 5 * MBIT }), initialState(START, 0));
    expect(changes).toHaveLength(1);
    expect(changes[0].reason).toMatch(/cannot keep up/);
  });
});
