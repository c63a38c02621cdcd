import { readFileSync } from 'node:fs';
import { layerSettings } from '../../../runtime/controller/controller';
import { toCalibration } from '../../../runtime/controller/calibration';
import { parseLayer, securityFromEnv } from '../../../runtime/controller/main';
import { addScrapes, layerWindow, QUEUE_RTT_MS, summarize, wanBandwidth } from '../../../runtime/controller/observe';
import { parsePrometheusText } from '../../../runtime/live/prometheus';

const METRICS = (requests: number, predictSum: number, batches: number) => `
# HELP ddnn_requests_total records consumed
ddnn_requests_total{layer="edge"} ${requests}
ddnn_answers_total{layer="edge"} ${requests * 0.6}
ddnn_forwards_total{layer="edge"} ${requests * 0.4}
ddnn_predict_seconds_sum{layer="edge"} ${predictSum}
ddnn_predict_seconds_count{layer="edge"} ${batches}
ddnn_predict_seconds_bucket{le="0.005",layer="edge"} ${batches}
ddnn_batch_size_sum{layer="edge"} ${requests}
ddnn_batch_size_count{layer="edge"} ${batches}
ddnn_consumer_lag{topic="edge-in",partition="0",layer="edge"} 3
ddnn_consumer_lag{topic="edge-in",partition="1",layer="edge"} 4
ddnn_wan_bytes_total{destination="cloud",layer="edge"} ${requests * 1000}
`;

describe('a window from two scrapes', () => {
  test('predict time per batch, batch size, rate, exit share and WAN bytes from the deltas; lag as it is now', () => {
    const a = summarize(parsePrometheusText(METRICS(100, 0.2, 50)));
    const b = summarize(parsePrometheusText(METRICS(300, 0.6, 100)));
    const w = layerWindow(a, b, 2, null);
    expect(w.load.predictMs).toBeCloseTo(8, 9); // 0.4 s over 50 batches
    expect(w.load.batchSize).toBeCloseTo(4, 9);
    expect(w.load.lag).toBe(7);
    expect(w.rate).toBe(100);
    expect(w.answeredShare).toBeCloseTo(0.6, 9);
    expect(w.wanBytesPerSec).toBe(100_000);
  });

  test('an idle window keeps the last predict time; a restarted replica counts from 0', () => {
    const a = summarize(parsePrometheusText(METRICS(100, 0.2, 50)));
    const idle = layerWindow(a, a, 2, { predictMs: 5, batchSize: 2, lag: 0 });
    expect(idle.load).toEqual({ predictMs: 5, batchSize: 2, lag: 7 });
    expect(idle.answeredShare).toBeNull();
    const restarted = layerWindow(a, summarize(parsePrometheusText(METRICS(10, 0.01, 5))), 1, null);
    expect(restarted.rate).toBe(10);
  });

  test('replicas add up', () => {
    const a = summarize(parsePrometheusText(METRICS(100, 0.2, 50)));
    expect(addScrapes(a, a).requests).toBe(200);
  });
});

describe('calibration file', () => {
  const cal = {
    modelVersion: 'f8ba5c947e60fecb',
    placement: 'edge-cloud',
    accuracyBudget: 0.01,
    finalExitAccuracy: 0.9037,
    exits: [{ name: 'edge_output', forwardBytes: 49152 }, { name: 'cloud_output', forwardBytes: 0 }],
    sweeps: { 'max-softmax': [{ threshold: 0, answered: [1, 0], overallAccuracy: 0.8155 }, { threshold: 0.8, answered: [0.5591, 0.4409], overallAccuracy: 0.897 }] },
  };

  test('thresholds, shares and the bytes per encoding of the first exit', () => {
    const { calibration } = toCalibration(cal, null, { file: 'c.json', budget: 0.02 });
    expect(calibration.accuracyBudget).toBe(0.02);
    expect(calibration.points).toEqual([
      { threshold: 0, edgeShare: 1, overallAccuracy: 0.8155 },
      { threshold: 0.8, edgeShare: 0.5591, overallAccuracy: 0.897 },
    ]);
    expect(calibration.featureBytes).toEqual({ float32: 49172, float16: 24596, int8: 12688 });
  });

  test("calibrate's features table sets the bytes and the accuracy change per encoding", () => {
    const features = { rows: [
      { encoding: 'float32', bytesPerFeatureMap: [49172], overallAccuracy: 0.8654 },
      { encoding: 'int8', bytesPerFeatureMap: [12692], overallAccuracy: 0.8655 },
    ] };
    const { calibration } = toCalibration(cal, features, { file: 'c.json', featuresFile: 'f.json' });
    expect(calibration.featureBytes).toEqual({ float32: 49172, int8: 12692 });
    expect(calibration.encodingDelta!.int8).toBeCloseTo(0.0001 / 0.4409, 9);
  });

  test('a wrong file names the file and the field', () => {
    expect(() => toCalibration({ ...cal, finalExitAccuracy: 2 }, null, { file: 'c.json' })).toThrow(/c\.json: finalExitAccuracy: Number must be less than or equal to 1/);
    expect(() => toCalibration({ ...cal, sweeps: {} }, null, { file: 'c.json' })).toThrow(/c\.json: sweeps\.max-softmax: Required/);
  });

  test('reads the shipped calibration when one was computed here', () => {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync('results/calibration/compact-branchynet-edge-cloud/calibration.json', 'utf8'));
    } catch {
      return; // results/ is not in git: nothing to read on a fresh checkout
    }
    expect(toCalibration(json, null, { file: 'calibration.json' }).calibration.points.length).toBeGreaterThan(10);
  });
});

describe('what each layer is told', () => {
  const split = { placement: 'split' as const, threshold: 0.74, featuresDtype: 'int8' as const, batchMaxWaitMs: 0 };
  test('a split setting goes to every layer, by the controller, with its reason', () => {
    expect(layerSettings(split, 'cloud', ['edge', 'cloud'], 'why', 5)).toEqual({ threshold: 0.74, featuresDtype: 'int8', batchMaxWaitMs: 0, issuedAt: 5, by: 'controller', reason: 'why' });
  });
  test('edge-only is threshold 0 on the first layer and nothing for the others (their cluster may be out of reach)', () => {
    const edgeOnly = { ...split, placement: 'edge-only' as const, threshold: 0 };
    expect(layerSettings(edgeOnly, 'edge', ['edge', 'cloud'], 'WAN down', 5)).toMatchObject({ threshold: 0, by: 'controller' });
    expect(layerSettings(edgeOnly, 'cloud', ['edge', 'cloud'], 'WAN down', 5)).toBeNull();
  });
  test('cloud-only tells the first layer to relay, and only that; any later setting drops the relay (a record replaces the last)', () => {
    const cloudOnly = { ...split, placement: 'cloud-only' as const, threshold: 1 };
    expect(layerSettings(cloudOnly, 'edge', ['edge', 'cloud'], 'slow edge', 5)).toEqual({ relay: true, issuedAt: 5, by: 'controller', reason: 'slow edge' });
    expect(layerSettings(cloudOnly, 'cloud', ['edge', 'cloud'], 'slow edge', 5)).toBeNull();
    expect(layerSettings(split, 'edge', ['edge', 'cloud'], 'back', 6)).not.toHaveProperty('relay');
  });
});

describe('--layer', () => {
  test('name=brokers@metrics urls', () => {
    expect(parseLayer('edge=127.0.0.1:9092,127.0.0.1:9093@http://a:1/metrics,http://b:2/metrics')).toEqual({ name: 'edge', brokers: '127.0.0.1:9092,127.0.0.1:9093', metrics: ['http://a:1/metrics', 'http://b:2/metrics'] });
    expect(() => parseLayer('edge=127.0.0.1:9092')).toThrow(/expected <layer>=<host:port,…>@<metrics url>/);
    expect(() => parseLayer('edge=x:1@ftp://a')).toThrow(/metrics URL "ftp:\/\/a" is not http/);
  });
});

describe('TLS + SASL for the clusters across the WAN', () => {
  const read = (f: string) => {
    if (f === '/ca.pem') return 'PEM';
    throw new Error('ENOENT');
  };
  test("the worker's variables, same names", () => {
    expect(securityFromEnv({}, read)).toBeNull();
    expect(securityFromEnv({ DDNN_KAFKA_SASL_USERNAME: 'ctl', DDNN_KAFKA_SASL_PASSWORD: 'pw', DDNN_KAFKA_SASL_MECHANISM: 'scram-sha-512', DDNN_KAFKA_TLS_CA_FILE: '/ca.pem' }, read)).toEqual({
      sasl: { mechanism: 'scram-sha-512', username: 'ctl', password: 'pw' },
      caPem: 'PEM',
    });
  });
  test('bad settings name the variable', () => {
    expect(() => securityFromEnv({ DDNN_KAFKA_SASL_USERNAME: 'ctl' }, read)).toThrow(/DDNN_KAFKA_SASL_USERNAME and DDNN_KAFKA_SASL_PASSWORD: both or neither/);
    expect(() => securityFromEnv({ DDNN_KAFKA_SASL_USERNAME: 'a', DDNN_KAFKA_SASL_PASSWORD: 'b', DDNN_KAFKA_SASL_MECHANISM: 'gssapi' }, read)).toThrow(/DDNN_KAFKA_SASL_MECHANISM \(gssapi\)/);
    expect(() => securityFromEnv({ DDNN_KAFKA_TLS_CA_FILE: '/nope' }, read)).toThrow(/DDNN_KAFKA_TLS_CA_FILE: cannot read \/nope/);
  });
});

describe('what the WAN can carry', () => {
  const base = { probed: 12_500_000, carried: 600_000, baseRttMs: 32 };
  test('no queue in front of the link: the probe stands, however little the link carries', () => {
    expect(wanBandwidth({ ...base, rttMs: 40 })).toBe(12_500_000);
    expect(wanBandwidth({ ...base, rttMs: 32 + QUEUE_RTT_MS - 1 })).toBe(12_500_000);
  });
  test('a queue (round trip over the base, or timed out): at most what the link acknowledged', () => {
    expect(wanBandwidth({ ...base, rttMs: 32 + QUEUE_RTT_MS })).toBe(600_000);
    expect(wanBandwidth({ ...base, rttMs: null })).toBe(600_000);
    expect(wanBandwidth({ ...base, probed: 400_000, rttMs: 900 })).toBe(400_000); // the lower of the two
    expect(wanBandwidth({ ...base, probed: null, rttMs: 900 })).toBe(600_000);
  });
  test('nothing carried (a cut, or edge-only) or no base yet: the probe', () => {
    expect(wanBandwidth({ ...base, carried: 0, rttMs: null })).toBe(12_500_000);
    expect(wanBandwidth({ ...base, baseRttMs: null, rttMs: 900 })).toBe(12_500_000);
  });
});
