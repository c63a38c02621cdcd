/**
 * The project's one plotting path, part 2: a Vega-Lite spec → a standalone SVG string, rendered in Node by Vega's
 * headless SVG renderer (no canvas, no DOM; text widths are estimated, which is fine for axis labels).
 */
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { ChartSpec } from './specs';

export async function renderSvg(spec: ChartSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
