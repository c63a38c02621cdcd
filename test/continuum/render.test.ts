import { escapeXml, renderExperimentHtml, renderSweepHtml } from '../../runtime/continuum/html';
import { buildReport } from '../../runtime/continuum/report';
import { buildSweep } from '../../runtime/continuum/sweep';
import { renderReport, renderTable } from '../../runtime/continuum/table';
import { earlyExitRun, input } from './fixtures';

const both = buildReport({
  ...input,
  earlyExit: [
    { transport: 'direct', run: earlyExitRun },
    { transport: 'mirrored', run: earlyExitRun },
  ],
});

describe('terminal report', () => {
  const text = renderReport(both);

  it('shows our numbers beside the paper\'s, one column per transport', () => {
    expect(text).toMatch(/Measure\s+edge-cloud direct\s+edge-cloud mirrored\s+cloud-only\s+paper/);
    expect(text).toMatch(/Share answered at the edge exit\s+60\.00 %\s+60\.00 %\s+—\s+54\.16 %/);
    expect(text).toMatch(/edge-answered images, edge exit\s+66\.67 %\s+66\.67 %\s+—\s+84\.18 %/);
    expect(text).toMatch(/Global accuracy\s+70\.00 %\s+70\.00 %\s+80\.00 %/);
    expect(text).toMatch(/Speed-up, early exits \(avg\)\s+5\.00×\s+5\.00×\s+—\s+23\.00×/);
    expect(text).toMatch(/total\s+4\.2 kB\s+4\.2 kB\s+3\.8 kB/);
  });

  it('lists response-time percentiles per answering layer and for cloud-only', () => {
    expect(text).toMatch(/edge-answered\s+6\s+10\.0\s+10\.0\s+10\.0\s+10\.0\s+10\.0\s+5\.00×\s+63\.8/);
    expect(text).toMatch(/cloud-answered\s+4\s+100\.0/);
    expect(text).toMatch(/cloud-only \(whole model in the cloud, no exit\)\n\s+all\s+10\s+50\.0/);
    expect(text).not.toMatch(/NaN|undefined/);
  });

  it('aligns columns', () => {
    const t = renderTable({ title: 'T', headers: ['a', 'bb'], rows: [['xxx', '1'], { section: 'S' }, ['y', '22']] });
    expect(t.split('\n')).toEqual(['T', 'a    bb', '───────', 'xxx   1', 'S', 'y    22']);
  });
});

describe('HTML report', () => {
  let html = '';
  beforeAll(async () => {
    html = await renderExperimentHtml(both, { command: 'npm start -- --images 10', responseTimes: new Map([['direct, all', [1, 2, 3]], ['cloud-only', [2, 3, 4]]]) });
  });

  it('is one self-contained page with the figures and the tables', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html.match(/<\/svg>/g)).toHaveLength(3);
    expect(html).toContain('Accuracy (cf. paper Fig. 6)');
    expect(html).toContain('Response-time CDF');
    expect(html).toContain('<code>npm start -- --images 10</code>');
    expect(html).not.toMatch(/NaN|undefined|src=|href=/);
  });

  it('draws the paper\'s bars next to ours, each with its value', () => {
    expect(html).toContain('paper edge-cloud · images answered at the edge: 84.2 %');
    expect(html).toContain('edge-cloud mirrored · global (all test images): 70.0 %');
  });
});

describe('sweep', () => {
  const reports = [1, 2].map((p) => buildReport({ ...input, setup: { ...input.setup, partitions: p, env: `paper-ha-p${p}` } }));
  const sweep = buildSweep([reports[1], reports[0]]);

  it('orders points by partitions and keeps the speed-ups', () => {
    expect(sweep.points.map((p) => p.partitions)).toEqual([1, 2]);
    expect(sweep.points[0]).toMatchObject({ env: 'paper-ha-p1', transport: 'direct', exitAvgMs: 10, allAvgMs: 46, cloudOnlyAvgMs: 50 });
    expect(sweep.points[0].speedUpEarlyExits).toBeCloseTo(5);
  });

  it('draws the speed-up plot with the paper\'s best point', async () => {
    const html = await renderSweepHtml(sweep);
    expect(html).toContain('cf. paper Fig. 9');
    expect(html).toContain('paper early exits');
    expect(html).toContain('20.0×'); // the axis reaches the paper's best point (23×)
    expect(html).not.toMatch(/NaN|undefined/);
  });
});

describe('escapeXml', () => {
  it('escapes markup', () => {
    expect(escapeXml(`<a href="x">'&`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;');
  });
});
