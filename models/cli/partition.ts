/**
 * Partitions trained weights into per-layer sub-models.
 *   npx tsx models/cli/partition.ts --arch compact-branchynet --weights models/trained/compact-branchynet
 * writes <weights>/partitions/<placement>/ for every standard placement (or those given with --placement). Large
 * models' sub-models are views of the trained weights.bin (stored once), small ones get copies (--weights-layout).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Command, Option } from 'commander';
import { loadArchitecture } from '../architecture';
import { resolvePlacement, standardPlacements } from '../placement';
import { writePartition } from '../partition';
import { disposeWeights, readTrainedWeights } from '../weights';

/** `--weights-layout auto` writes views when the trained weights file is larger than this (VGG16: 40 MB; compact: 2.4 MB). */
const VIEW_ABOVE_BYTES = 16 * 2 ** 20;

async function main(): Promise<void> {
  const program = new Command()
    .name('partition')
    .description('write one tfjs sub-model per continuum layer plus manifests')
    .option('--arch <name>', 'architecture spec name or .json path', 'compact-branchynet')
    .option('--weights <dir>', 'trained weights dir (weights.json + weights.bin)', '')
    .option('--placement <name...>', 'standard placement names or placement .json files (default: all standard)')
    .option('--out <dir>', 'output dir (default <weights>/partitions)')
    .option('--float32', 'store sub-model weights as float32 even if the trained weights are float16')
    .addOption(
      new Option('--weights-layout <layout>', `copy: each sub-model gets its own weights.bin (self-contained folders); view: sub-models reference the trained weights.bin (stored once); auto: view above ${VIEW_ABOVE_BYTES / 2 ** 20} MiB of trained weights`)
        .choices(['auto', 'copy', 'view'])
        .default('auto'),
    )
    .parse();
  const o = program.opts<{ arch: string; weights: string; placement?: string[]; out?: string; float32?: boolean; weightsLayout: 'auto' | 'copy' | 'view' }>();
  await tf.setBackend('cpu');
  const spec = loadArchitecture(o.arch);
  const weightsDir = o.weights || path.join('models', 'trained', spec.name);
  const weights = readTrainedWeights(weightsDir);
  if (weights.meta.architecture !== spec.name) {
    throw new Error(`${weightsDir} holds weights of '${weights.meta.architecture}', not '${spec.name}'`);
  }
  const placements = o.placement ? o.placement.map((p) => resolvePlacement(spec, p)) : standardPlacements(spec);
  const float16 = !o.float32 && weights.meta.storage === 'float16';
  const group = weights.meta.weightsManifest;
  const sharedFile = path.join(weightsDir, group[0].paths[0]);
  const view = o.weightsLayout === 'view' || (o.weightsLayout === 'auto' && fs.statSync(sharedFile).size > VIEW_ABOVE_BYTES);
  if (view && (group.length !== 1 || group[0].paths.length !== 1)) throw new Error(`${weightsDir}: a weights view needs one weights file`);
  if (view && o.float32) throw new Error('--float32 copies weights: use it with --weights-layout copy');
  const sharedWeights = view ? { file: path.resolve(sharedFile), weights: group[0].weights as tf.io.WeightsManifestEntry[] } : undefined;
  for (const p of placements) {
    const out = path.join(o.out ?? path.join(weightsDir, 'partitions'), p.name);
    const layers = await writePartition(spec, { tensors: weights.tensors, modelVersion: weights.meta.modelVersion }, p, out, { float16, sharedWeights });
    for (const l of layers) {
      const outs = l.manifest.outputs.map((x) => (x.role === 'exit' ? `exit ${x.name}` : `features ${x.name} [${x.shape}]`));
      const stored = sharedWeights ? `weights: a view of ${path.relative(l.dir, sharedWeights.file)}` : `${l.weightBytes} weight bytes`;
      console.log(`${p.name}/${l.layer}: input [${l.manifest.input.shape}] ${l.manifest.input.dtype} → ${outs.join(', ')}; next ${l.manifest.next ?? '-'}; ${stored}`);
    }
  }
  disposeWeights(weights);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
