/**
 * Device simulator CLI: `npx tsx runtime/devices/main.ts --brokers 127.0.0.1:9092 --topic edge-in --devices 5`.
 * Streams CIFAR-10 test images (binary layout, `--data`), shows progress, writes the records as JSON
 * (`--out`) and prints the collector's report.
 */
import { writeFileSync } from 'fs';
import * as path from 'path';
import { SingleBar, Presets } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { collect } from '../collector/collect';
import { loadTestImages } from './dataset';
import { runDevices, SendMode } from './simulator';

function positive(v: string): number {
  const n = Number(v);
  if (!(n > 0)) throw new InvalidArgumentError('must be a positive number');
  return n;
}

async function main(): Promise<void> {
  const program = new Command('ddnn-devices')
    .requiredOption('--brokers <list>', "first layer's bootstrap servers")
    .requiredOption('--topic <name>', "first layer's input topic")
    .option('--devices <n>', 'number of devices', positive, 5)
    .option('--images <n>', 'first N test images', positive, 1000)
    .option('--data <dir>', 'CIFAR-10 binary-layout directory', path.resolve(__dirname, '../../../shared/data/cifar10'))
    .option('--split <mode>', 'same (every device sends every image, like the paper) | shard', 'shard')
    .option('--rate <perSecond>', 'fixed rate per device instead of closed-loop', positive)
    .option('--window <n>', 'closed-loop requests in flight per device', positive, 1)
    .option('--timeout-ms <ms>', 'a request unanswered this long is lost', positive, 30_000)
    .option('--reply-prefix <prefix>', 'reply topics are <prefix>.<device id>', 'ddnn.replies')
    .option('--out <file>', 'write the device records here (JSON)')
    .parse();
  const o = program.opts<{ brokers: string; topic: string; devices: number; images: number; data: string; split: string; rate?: number; window: number; timeoutMs: number; replyPrefix: string; out?: string }>();
  if (o.split !== 'same' && o.split !== 'shard') throw new InvalidArgumentError(`--split ${o.split}: must be same or shard`);
  const logger = pino({ base: { service: 'ddnn-devices' } }, pino.destination(2));
  const images = loadTestImages(o.data, o.images);
  const mode: SendMode = o.rate ? { kind: 'rate', perSecond: o.rate } : { kind: 'closed-loop', window: o.window };
  const bar = new SingleBar({ format: 'devices |{bar}| {value}/{total} requests | {eta_formatted} left', stream: process.stderr }, Presets.shades_classic);
  let started = false;
  const result = await runDevices({
    brokers: o.brokers.split(','),
    requestTopic: o.topic,
    replyTopicPrefix: o.replyPrefix,
    devices: o.devices,
    images,
    split: o.split,
    mode,
    timeoutMs: o.timeoutMs,
    logger,
    onProgress: (done, total) => {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
  });
  bar.stop();
  if (o.out) writeFileSync(o.out, JSON.stringify(result.records));
  const report = collect(result.records, { layerOrder: ['edge', 'fog', 'cloud'] });
  process.stdout.write(`${JSON.stringify({ ...report, duplicates: result.duplicates, foreign: result.foreign }, null, 2)}\n`);
}

main().catch((e) => {
  process.stderr.write(`ddnn-devices: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
