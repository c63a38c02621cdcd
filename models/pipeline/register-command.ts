/** `pipeline register`: the commander subcommand around registerModel (models/pipeline/register.ts). */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import { REGISTRY_TOPIC } from '../../contracts/registry';
import { brokerList } from './options';
import { registerModel } from './register';

const REPO = path.join(__dirname, '..', '..');

export function registerCommand(): Command {
  return new Command('register')
    .description("partition a trained model for a placement, name it by content hash, and publish it to each cluster's model registry (a compacted topic)")
    .requiredOption('--brokers <list>', "a cluster's bootstrap servers; repeat for each layer's cluster (each layer loads from its own)", (v: string, prev: string[][] = []) => [...prev, brokerList(v)])
    .option('--model-dir <dir>', 'trained model dir: weights.json + weights.bin (default .cache/pipeline/<arch>/trained, what `pipeline train` writes)')
    .option('--arch <name>', 'architecture spec name or .json path (default: the one the weights name)')
    .option('--placement <name>', 'standard placement name or placement .json', 'edge-cloud')
    .option('--topic <name>', 'registry topic', REGISTRY_TOPIC)
    .option('--out <dir>', 'keep the partitioned sub-models here (they carry the registered version)')
    .action(async (o: { brokers: string[][]; modelDir?: string; arch?: string; placement: string; topic: string; out?: string }) => {
      await tf.setBackend('cpu');
      const modelDir = o.modelDir ?? path.join(REPO, '.cache', 'pipeline', o.arch ? path.basename(o.arch, '.json') : 'compact-branchynet', 'trained');
      const s = await registerModel({ modelDir, arch: o.arch, placement: o.placement, clusters: o.brokers, topic: o.topic, out: o.out, log: (l) => console.log(l) });
      console.log(`version ${s.version}: ${s.model} on ${s.layers.join(' → ')}${s.out ? `, sub-models in ${s.out}` : ''}`);
    });
}
