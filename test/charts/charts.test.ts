import { renderSvg } from '../../runtime/charts/render';
import { barChart, lineChart, sideBySide } from '../../runtime/charts/specs';

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

describe('bar charts', () => {
  const spec = barChart({
    title: 'a<b',
    yLabel: 'share',
    format: (v) => `${(v * 100).toFixed(1)} %`,
    yAxis: { d3: '.0%' },
    yMax: 1,
    series: [{ name: 's&1', color: '#ff0000' }, { name: 's2', color: '#0000ff' }],
    groups: [{ label: 'g1', values: [0.5, null] }, { label: 'g2', values: [0.25, 0.75] }],
  });

  it('keeps one datum per measured bar, labelled with the caller\'s format', () => {
    const values = (spec as { data: { values: Array<{ label: string; tip: string }> } }).data.values;
    expect(values.map((v) => v.label)).toEqual(['50.0 %', '25.0 %', '75.0 %']);
    expect(values[2].tip).toBe('s2 · g2: 75.0 %');
  });

  it('renders to SVG with escaped text, the series colours and the axis format', async () => {
    const svg = await renderSvg(spec);
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('a&lt;b');
    expect(svg).toContain('s&amp;1');
    expect(svg).toContain('100%');
    expect(count(svg, /aria-roledescription="bar"/g)).toBe(3);
    expect(svg).toContain('fill="#0000ff"');
  });
});

describe('line charts', () => {
  it('draws one line per series with points and labels the annotations', async () => {
    const svg = await renderSvg(
      lineChart({
        title: 't',
        xLabel: 'x',
        yLabel: 'y',
        xTicks: [1, 2, 3],
        yAxis: { d3: '.1f', suffix: '×' },
        annotations: [{ x: 2, y: 2.5, label: 'proposed', color: '#00aa00' }],
        series: [
          { name: 'a', color: '#000000', points: [{ x: 1, y: 2 }, { x: 2, y: 3 }] },
          { name: 'b', color: '#ff00ff', dashed: true, points: [{ x: 1, y: 1 }, { x: 3, y: NaN }, { x: 3, y: 3 }] },
          { name: 'empty', color: '#111111', points: [] },
        ],
      }),
    );
    expect(count(svg, /aria-roledescription="line mark container"/g)).toBe(2);
    expect(svg).toContain('stroke-dasharray="5,4"');
    expect(svg).toContain('proposed');
    expect(svg).toContain('3.0×');
    expect(svg).not.toMatch(/NaN/);
  });

  it('puts charts side by side under one title', async () => {
    const one = lineChart({ title: 'p', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', color: '#000000', points: [{ x: 0, y: 1 }, { x: 1, y: 0 }] }] });
    const svg = await renderSvg(sideBySide('both', [one, one]));
    expect(count(svg, /aria-roledescription="line mark container"/g)).toBe(2);
    expect(svg).toContain('both');
  });
});
