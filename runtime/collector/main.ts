/**
 * Collector CLI: `npx tsx runtime/collector/main.ts records.json [--full-model cloud-only.json] [--layers edge,cloud]`.
 * Inputs are JSON arrays (or JSON lines) of device records (runtime/devices); prints the report as JSON.
 */
import { readFileSync } from 'fs';
import { Command } from 'commander';
import type { DeviceRecord } from '../../contracts/records';
import { collect } from './collect';

export function readRecords(file: string): DeviceRecord[] {
  const text = readFileSync(file, 'utf8').trim();
  if (text.startsWith('[')) return JSON.parse(text) as DeviceRecord[];
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as DeviceRecord);
}

if (require.main === module) {
  const program = new Command('ddnn-collect')
    .argument('<records>', 'device records of the early-exit run (JSON array or JSON lines)')
    .option('--full-model <file>', 'device records of a cloud-only run over the same images')
    .option('--layers <list>', 'layer order, comma-separated', 'edge,fog,cloud')
    .parse();
  const opts = program.opts<{ fullModel?: string; layers: string }>();
  const report = collect(readRecords(program.args[0]), {
    fullModel: opts.fullModel ? readRecords(opts.fullModel) : undefined,
    layerOrder: opts.layers.split(','),
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}
