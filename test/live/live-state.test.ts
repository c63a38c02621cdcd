import { DASHBOARD_PANELS } from '../../contracts/dashboard-panels';
import type { DeviceRecord } from '../../contracts/records';
import { parseTargets } from '../../runtime/live/main';
import { liveCharts, livePage } from '../../runtime/live/page';
import { histogramQuantile, lineValues, type ScrapePair } from '../../runtime/live/panels';
import { parsePrometheusText } from '../../runtime/live/prometheus';
import { LiveState } from '../../runtime/live/state';

const metrics = (requests: number, answers: number, forwards: number, buckets: [string, number][], extra = '') => `
# HELP ddnn_requests_total requests
# TYPE ddnn_requests_total counter
ddnn_requests_total{layer="edge"} ${requests}
ddnn_answers_total{layer="edge"} ${answers}
ddnn_forwards_total{layer="edge"} ${forwards}
${buckets.map(([le, n]) => `ddnn_exit_latency_seconds_bucket{le="${le}",layer="edge"} ${n}`).join('\n')}
ddnn_consumer_lag{layer="edge",topic="edge-in",partition="0"} 3
ddnn_consumer_lag{layer="edge",topic="edge-in",partition="1"} 4
${extra}`;

describe('Prometheus text', () => {
  it('parses names, escaped labels, special values and skips comments', () => {
    const s = parsePrometheusText('# HELP x y\nx_total{a="q\\"\\\\n",b="\\n"} 3 1700000000\ny NaN\nz{le="+Inf"} +Inf\n');
    expect(s).toEqual([
      { name: 'x_total', labels: { a: 'q"\\n', b: '\n' }, value: 3 },
      { name: 'y', labels: {}, value: NaN },
      { name: 'z', labels: { le: '+Inf' }, value: Infinity },
    ]);
  });

  it('names the bad line', () => {
    expect(() => parsePrometheusText('x{a=1} 2')).toThrow('metrics: bad label in line "x{a=1} 2"');
    expect(() => parsePrometheusText('x{a="1"}')).toThrow('metrics: no value in line');
  });
});

describe('panels from scrapes', () => {
  const pair = (a: string, b: string, dtMs = 2000): ScrapePair => ({
    before: { at: 0, samples: parsePrometheusText(a) },
    now: { at: dtMs, samples: parsePrometheusText(b) },
  });
  const before = metrics(10, 4, 6, [['0.01', 0], ['0.1', 2], ['+Inf', 4]]);
  const after = metrics(30, 14, 16, [['0.01', 0], ['0.1', 12], ['+Inf', 14]], 'ddnn_dead_letters_total{layer="edge",reason="bad-frame"} 2');
  const panel = (id: string) => DASHBOARD_PANELS.find((p) => p.id === id)!;

  it('computes rates, the exit share, lag and dead letters by reason', () => {
    const p = [pair(before, after)];
    expect(panel('rates').lines.flatMap((l) => lineValues(l, 'edge', p))).toEqual([
      { legend: 'requests', value: 10 },
      { legend: 'answers', value: 5 },
      { legend: 'forwards', value: 5 },
    ]);
    expect(lineValues(panel('exit-share').lines[0], 'edge', p)).toEqual([{ legend: 'answered here', value: 0.5 }]);
    expect(lineValues(panel('lag').lines[0], 'edge', p)).toEqual([{ legend: 'edge-in', value: 7 }]);
    expect(lineValues(panel('dead-letters').lines[0], 'edge', p)).toEqual([{ legend: 'bad-frame', value: 1 }]);
    expect(lineValues(panel('rates').lines[0], 'cloud', p)).toEqual([{ legend: 'requests', value: null }]); // no such series
  });

  it('takes a counter that went down as a restart (its value is the increase)', () => {
    expect(lineValues(panel('rates').lines[0], 'edge', [pair(after, metrics(4, 0, 0, []))])).toEqual([{ legend: 'requests', value: 2 }]);
  });

  it('follows histogram_quantile', () => {
    // window increases: (0.01: 0), (0.1: 10), (+Inf: 10) → p50 halfway into the 0.01..0.1 bucket
    const [p50] = lineValues(panel('response-time').lines[0], 'edge', [pair(before, after)]);
    expect(p50.value).toBeCloseTo(0.055);
    expect(histogramQuantile(0.99, [[0.1, 5], [Infinity, 10]])).toBe(0.1);
    expect(histogramQuantile(0.5, [[0.1, 0], [Infinity, 0]])).toBeNull();
  });
});

describe('live state', () => {
  const record = (at: number, layer: string, ms: number): DeviceRecord => ({
    deviceId: 'd', requestId: `${at}`, imageId: 0, label: 0, sentAt: at - ms, answeredAt: at, responseMs: ms, layer, predicted: 0, topProb: 0.9, modelVersion: 'v', hops: [],
  });

  it('keeps per-layer totals and series, marks a replica that stops answering as down', () => {
    const s = new LiveState(0, { rateWindowMs: 5000 });
    const t = { name: 'edge-0', url: 'http://127.0.0.1:1/metrics' };
    s.addScrape(t, 1000, parsePrometheusText(metrics(10, 4, 6, [])));
    s.addScrape(t, 2000, parsePrometheusText(metrics(20, 9, 11, [])));
    s.addRecord(record(1900, 'edge', 12));
    s.addRecord(record(1950, 'cloud', 40));
    const snap = s.tick(2000);
    expect(snap.totals.edge).toEqual({ requests: 20, answers: 9, forwards: 11, deadLetters: 0, replicasUp: 1 });
    expect(snap.charts.rates).toContainEqual({ x: 2, y: 10, series: 'edge · requests' });
    expect(snap.devices.answered).toBe(2);
    expect(snap.devices.recent.cloud).toEqual({ n: 1, p50: 40, p95: 40, p99: 40 });
    s.addScrape(t, 3000, new Error('connect ECONNREFUSED'));
    const down = s.tick(3000);
    expect(down.targets[0]).toMatchObject({ up: false, error: 'connect ECONNREFUSED', layer: 'edge' });
    expect(down.totals.edge.replicasUp).toBe(0);
  });
});

describe('live page', () => {
  it('has one chart per panel plus the devices, and loads scripts only from this server', () => {
    const charts = liveCharts();
    expect(charts.map((c) => c.id)).toEqual(['devices', ...DASHBOARD_PANELS.map((p) => p.id)]);
    const html = livePage('t</script>', charts);
    expect([...html.matchAll(/src="([^"]+)"/g)].map((m) => m[1])).toEqual(['/vendor/vega.min.js', '/vendor/vega-lite.min.js', '/vendor/vega-embed.min.js']);
    expect(html).not.toContain('t</script>');
    expect(html).not.toMatch(/https?:\/\/(?!vega\.github\.io\/schema)/);
  });
});

describe('dashboard command', () => {
  it('takes host:port or full URLs and names a bad one', () => {
    expect(parseTargets('127.0.0.1:8080, http://w:9/metrics')).toEqual([
      { name: '127.0.0.1:8080', url: 'http://127.0.0.1:8080/metrics' },
      { name: 'w:9', url: 'http://w:9/metrics' },
    ]);
    expect(() => parseTargets(' , ')).toThrow('--metrics needs at least one URL');
    expect(() => parseTargets('http://[x')).toThrow('--metrics: not a URL: "http://[x"');
  });
});
