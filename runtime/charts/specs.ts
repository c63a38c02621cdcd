/**
 * The project's one plotting path, part 1 (pure): chart descriptions → Vega-Lite specs. The continuum's HTML
 * report, the calibration plot, the soak plot and the live view all build their charts here; `render.ts` turns a
 * spec into SVG in Node, the live page hands the same specs to vega-embed in the browser.
 *
 * Numbers shown as text (bar labels, tooltips) are formatted by the caller's function and travel in the data, so
 * they read exactly as in the terminal tables; axes use d3-format strings, which Vega evaluates itself.
 */
import type { TopLevelSpec } from 'vega-lite';

export type ChartSpec = TopLevelSpec;

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly dashed?: boolean;
}

/** An axis' tick labels: a d3-format string plus an optional suffix (`{ d3: '.2f', suffix: '×' }`). */
export interface AxisFormat {
  readonly d3: string;
  readonly suffix?: string;
}

export interface BarGroup {
  readonly label: string;
  /** One value per series, in series order; null draws no bar (not measured). */
  readonly values: ReadonlyArray<number | null>;
}

export interface BarChartSpec {
  readonly title: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly groups: readonly BarGroup[];
  /** Formats the value printed over each bar and in its tooltip. */
  readonly format: (v: number) => string;
  readonly yAxis?: AxisFormat;
  readonly yMax?: number;
  readonly width?: number;
  readonly height?: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface LineSeries extends Series {
  readonly points: readonly Point[];
}

/** A labelled point drawn over a line chart (a proposed threshold, the paper's setting). */
export interface Annotation extends Point {
  readonly label: string;
  readonly color: string;
}

export interface LineChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  /** Ticks at exactly these x values (a sweep's points); otherwise Vega picks round ones. */
  readonly xTicks?: readonly number[];
  readonly xAxis?: AxisFormat;
  readonly yAxis?: AxisFormat;
  readonly xDomain?: readonly [number, number];
  readonly yDomain?: readonly [number, number];
  /** Draw a marker on each point (sparse series such as the partition sweep). @default false */
  readonly markers?: boolean;
  readonly annotations?: readonly Annotation[];
  readonly width?: number;
  readonly height?: number;
  /**
   * The series arrive with the data later (the live view replaces the `values` data set every second): colours
   * come from a scheme instead of `series`, which may be empty. @default false
   */
  readonly openSeries?: boolean;
}

const WIDTH = 520;
const HEIGHT = 240;

function labelExpr(f: AxisFormat | undefined): string | undefined {
  if (!f) return undefined;
  return `format(datum.value, ${JSON.stringify(f.d3)})${f.suffix ? ` + ${JSON.stringify(f.suffix)}` : ''}`;
}

function axis(title: string, f: AxisFormat | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const e = labelExpr(f);
  // An integer format on fractional ticks would print the same label twice.
  return { title, ...(e ? { labelExpr: e } : {}), ...(f?.d3 === 'd' ? { tickMinStep: 1 } : {}), ...extra };
}

const legend = { orient: 'bottom', direction: 'horizontal', columns: 3, title: null, labelLimit: 260 } as const;

export function barChart(spec: BarChartSpec): ChartSpec {
  const names = spec.series.map((s) => s.name);
  const values = spec.groups.flatMap((g) =>
    g.values.flatMap((v, i) =>
      v === null || !Number.isFinite(v)
        ? []
        : [{ group: g.label, series: spec.series[i].name, value: v, label: spec.format(v), tip: `${spec.series[i].name} · ${g.label}: ${spec.format(v)}` }],
    ),
  );
  const x = { field: 'group', type: 'nominal', sort: spec.groups.map((g) => g.label), axis: { title: null, labelAngle: 0, labelLimit: 400 } }; // Node estimates text widths generously
  const xOffset = { field: 'series', type: 'nominal', sort: names };
  const y = {
    field: 'value',
    type: 'quantitative',
    axis: axis(spec.yLabel, spec.yAxis),
    ...(spec.yMax !== undefined ? { scale: { domain: [0, spec.yMax] } } : {}),
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: spec.title,
    width: spec.width ?? WIDTH,
    height: spec.height ?? HEIGHT,
    data: { name: 'values', values },
    encoding: { x, xOffset, y },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          color: { field: 'series', type: 'nominal', scale: { domain: names, range: spec.series.map((s) => s.color) }, legend },
          tooltip: { field: 'tip' },
          description: { field: 'tip' },
        },
      },
      { mark: { type: 'text', dy: -6, fontSize: 9, color: '#222' }, encoding: { text: { field: 'label' } } },
    ],
    config: { view: { stroke: null } },
  } as ChartSpec;
}

export function lineChart(spec: LineChartSpec): ChartSpec {
  const names = spec.series.map((s) => s.name);
  const values = spec.series.flatMap((s) =>
    s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).map((p, i) => ({ series: s.name, x: p.x, y: p.y, i, dashed: s.dashed === true })),
  );
  const x = {
    field: 'x',
    type: 'quantitative',
    axis: axis(spec.xLabel, spec.xAxis, spec.xTicks ? { values: [...spec.xTicks] } : {}),
    scale: spec.xDomain ? { domain: [...spec.xDomain], nice: false } : { zero: false },
  };
  const y = { field: 'y', type: 'quantitative', axis: axis(spec.yLabel, spec.yAxis), ...(spec.yDomain ? { scale: { domain: [...spec.yDomain] } } : {}) };
  const scale = spec.openSeries ? { scheme: 'tableau10' } : { domain: names, range: spec.series.map((s) => s.color) };
  const color = { field: 'series', type: 'nominal', scale, legend: { ...legend, symbolType: 'stroke' } };
  const layer: unknown[] = [
    {
      mark: { type: 'line', strokeWidth: 2 },
      encoding: {
        color,
        order: { field: 'i', type: 'quantitative' },
        strokeDash: { field: 'dashed', type: 'nominal', scale: { domain: [false, true], range: [[1, 0], [5, 4]] }, legend: null },
      },
    },
  ];
  if (spec.markers) layer.push({ mark: { type: 'point', filled: true, size: 40 }, encoding: { color, tooltip: [{ field: 'series' }, { field: 'x' }, { field: 'y' }] } });
  if (spec.annotations?.length) {
    const data = { values: spec.annotations.map((a) => ({ ...a })) };
    const enc = { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, color: { field: 'color', type: 'nominal', scale: null } };
    layer.push({ data, mark: { type: 'point', filled: true, size: 60 }, encoding: enc });
    layer.push({ data, mark: { type: 'text', align: 'left', dx: 6, dy: -8 }, encoding: { ...enc, text: { field: 'label' } } });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: spec.title,
    width: spec.width ?? WIDTH,
    height: spec.height ?? HEIGHT,
    data: { name: 'values', values },
    encoding: { x, y },
    layer,
  } as ChartSpec;
}

/** Charts side by side under one title (the calibration's two panels). */
export function sideBySide(title: string, charts: readonly ChartSpec[]): ChartSpec {
  // Each chart names its data 'values'; names must be unique in one Vega view, so the panels get their own.
  const strip = (c: ChartSpec, i: number) => {
    const { $schema: _schema, data, ...rest } = c as unknown as Record<string, unknown>;
    return { ...rest, data: { ...(data as object), name: `values${i}` } };
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, fontSize: 15 },
    hconcat: charts.map(strip),
    resolve: { scale: { color: 'independent' } },
  } as unknown as ChartSpec;
}
