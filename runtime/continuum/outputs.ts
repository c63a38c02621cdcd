/** Writes a report next to its raw records: JSON for tools, HTML with plots for people, text as printed. */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { renderExperimentHtml, renderSweepHtml } from './html';
import type { RunRecords } from './records';
import type { ExperimentReport } from './report';
import type { SweepReport } from './sweep';
import { renderReport } from './table';

export interface WrittenFiles {
  readonly json: string;
  readonly html: string;
  readonly text: string;
  readonly records?: string;
}

/** Response times per set, for the HTML's CDF plot. */
export function responseTimeSets(runs: Readonly<Record<string, RunRecords>>, exitLayer: string): Map<string, number[]> {
  const sets = new Map<string, number[]>();
  for (const [name, run] of Object.entries(runs)) {
    if (name === 'cloud-only') continue;
    sets.set(`${name} · all`, run.records.map((r) => r.responseMs));
    sets.set(`${name} · ${exitLayer}-answered`, run.records.filter((r) => r.layer === exitLayer).map((r) => r.responseMs));
  }
  if (runs['cloud-only']) sets.set('cloud-only', runs['cloud-only'].records.map((r) => r.responseMs));
  return sets;
}

export async function writeExperiment(dir: string, report: ExperimentReport, runs: Readonly<Record<string, RunRecords>>, command: string): Promise<WrittenFiles> {
  mkdirSync(dir, { recursive: true });
  const files = {
    json: path.join(dir, 'report.json'),
    html: path.join(dir, 'report.html'),
    text: path.join(dir, 'report.txt'),
    records: path.join(dir, 'records.json'),
  };
  writeFileSync(files.json, JSON.stringify({ command, ...report }, null, 2));
  writeFileSync(files.records, JSON.stringify(runs));
  writeFileSync(files.text, `${command}\n\n${renderReport(report)}\n`);
  const exitLayer = report.setup.layers[0];
  writeFileSync(files.html, await renderExperimentHtml(report, { command, responseTimes: responseTimeSets(runs, exitLayer) }));
  return files;
}

export async function writeSweep(dir: string, sweep: SweepReport, command: string): Promise<WrittenFiles> {
  mkdirSync(dir, { recursive: true });
  const files = { json: path.join(dir, 'sweep.json'), html: path.join(dir, 'sweep.html'), text: path.join(dir, 'sweep.txt') };
  writeFileSync(files.json, JSON.stringify({ command, ...sweep }, null, 2));
  writeFileSync(files.html, await renderSweepHtml(sweep, { command }));
  writeFileSync(files.text, `${command}\n\n${sweep.experiments.map(renderReport).join('\n\n')}\n`);
  return files;
}
