/** `pipeline ingest`: the commander subcommand around ingestDataset (models/pipeline/ingest.ts), with a progress bar. */
import * as path from 'path';
import { Command } from 'commander';
import { MultiBar, Presets } from 'cli-progress';
import { defaultCifar10Dir } from '../cifar10';
import { DEFAULT_TOPICS, ingestDataset } from './ingest';
import { brokerList, positiveInt } from './options';

export function ingestCommand(): Command {
  return new Command('ingest')
    .description('stream a CIFAR-10-layout directory into a training and an evaluation topic (retention unlimited: the topic is the dataset)')
    .requiredOption('--brokers <list>', 'bootstrap servers, comma-separated (e.g. from `npm run kafka -- start`)', brokerList)
    .option('--data <dir>', 'CIFAR-10 binary layout directory', defaultCifar10Dir(path.join(__dirname, '..', '..')))
    .option('--train-topic <name>', 'training topic', DEFAULT_TOPICS.train)
    .option('--eval-topic <name>', 'evaluation topic', DEFAULT_TOPICS.eval)
    .option('--partitions <n>', 'partitions of a topic this creates', positiveInt('--partitions'), 3)
    .option('--limit <n>', 'ingest only the first N training images', positiveInt('--limit'))
    .option('--eval-limit <n>', 'ingest only the first N test images (default: --limit, else all)', positiveInt('--eval-limit'))
    .option('--force', 'delete and re-create a topic that holds other data')
    .action(async (o: { brokers: string[]; data: string; trainTopic: string; evalTopic: string; partitions: number; limit?: number; evalLimit?: number; force?: boolean }) => {
      const bars = new MultiBar({ format: '{split} |{bar}| {value}/{total} records', hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 2000 }, Presets.shades_classic);
      const bar = { train: undefined as ReturnType<MultiBar['create']> | undefined, eval: undefined as ReturnType<MultiBar['create']> | undefined };
      const lines: string[] = [];
      let summary;
      try {
        summary = await ingestDataset({
          ...o,
          log: (l) => lines.push(l),
          onProgress: (split, done, total) => {
            bar[split] ??= bars.create(total, 0, { split: split.padEnd(5) });
            bar[split]!.update(done);
          },
        });
      } finally {
        bars.stop();
      }
      for (const l of lines) console.log(l);
      for (const s of [summary.train, summary.eval]) {
        console.log(`${s.topic}: ${s.records} records on ${s.partitions} partitions (${s.produced} produced now, ${s.present} were there)`);
      }
      console.log(`done in ${(summary.ms / 1000).toFixed(1)} s`);
    });
}
