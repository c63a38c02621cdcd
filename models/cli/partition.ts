/**
 * Partitions trained weights into per-layer sub-models.
 *   npx tsx models/cli/partition.ts --arch compact-branchynet --weights models/trained/compact-branchynet
 * writes <weights>/partitions/<placement>/ for every standard placement (or those given with --placement).
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import { loadArchitecture } from '../architecture';
import { resolvePlacement, standardPlacements } from '../placement';
import { writePartition } from '../partition';
import { disposeWeights, readTrainedWeights } from '../weights';

async function main(): Promise<void> {
  const program = new Command()
    .name('partition')
    .description('write one tfjs sub-model per continuum layer plus manifests')
    .option('--arch <name>', 'architecture spec name or .json path', 'compact-branchynet')
    .option('--weights <dir>', 'trained weights dir (weights.json + weights.bin)', '')
    .option('--placement <name...>', 'standard placement names or placement .json files (default: all standard)')
    .option('--out <dir>', 'output dir (default <weights>/partitions)')
    .option('--float32', 'store sub-model weights as float32 even if the trained weights are float16')
    .parse();
  const o = program.opts<{ arch: string; weights: string; placement?: string[]; out?: string; float32?: boolean }>();
  await tf.setBackend('cpu');
  const spec = loadArchitecture(o.arch);
  const weightsDir = o.weights || path.join('models', 'trained', spec.name);
  const weights = readTrainedWeights(weightsDir);
  if (weights.meta.architecture !== spec.name) {
    throw new Error(`${weightsDir} holds weights of '${weights.meta.architecture}', not '${spec.name}'`);
  }
  const placements = o.placement ? o.placement.map((p) => resolvePlacement(spec, p)) : standardPlacements(spec);
  const float16 = !o.float32 && weights.meta.storage === 'float16';
  for (const p of placements) {
    const out = path.join(o.out ?? path.join(weightsDir, 'partitions'), p.name);
    const layers = await writePartition(spec, { tensors: weights.tensors, modelVersion: weights.meta.modelVersion }, p, out, { float16 });
    for (const l of layers) {
      const outs = l.manifest.outputs.map((x) => (x.role === 'exit' ? `exit ${x.name}` : `features ${x.name} [${x.shape}]`));
      console.log(`${p.name}/${l.layer}: input [${l.manifest.input.shape}] ${l.manifest.input.dtype} → ${outs.join(', ')}; next ${l.manifest.next ?? '-'}; ${l.weightBytes} weight bytes`);
    }
  }
  disposeWeights(weights);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
