/**
 * Sweeps the early-exit threshold of a partitioned model over CIFAR-10 and proposes one for an accuracy budget.
 *   npm run calibrate -- --placement edge-cloud --limit 2000 --accuracy-budget 0.01
 * Writes calibration.{txt,json,svg} under results/calibration/<model>-<placement>/.
 *   npm run calibrate -- --placement edge-cloud --features float32,float16,int8
 * also measures what each wire encoding of the forwarded feature maps does to accuracy (features.json).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import { BackendPreference, selectBackend } from '../../runtime/tf/backend';
import { defaultCifar10Dir, loadCifar10 } from '../cifar10';
import { disposePartition, FeatureLink, loadPartition, runChain } from '../chain';
import { decodeTensor, encodeTensor, type WireDtype } from '../../contracts/wire';
import { Criterion, ExitOutputs, SweepInput, evaluateThreshold, exitAccuracy, propose, sweep } from '../calibration';
import { formatTable, renderSvg } from '../calibration-report';

const REPO = path.join(__dirname, '..', '..');

type FeatureEncoding = Extract<WireDtype, 'float32' | 'float16' | 'int8'>;
const BYTES_PER_VALUE: Record<FeatureEncoding, number> = { float32: 4, float16: 2, int8: 1 };

/** Each sample's feature map through the wire format and back, as a worker forwards it. */
function wireLink(encoding: FeatureEncoding): FeatureLink | undefined {
  if (encoding === 'float32') return undefined;
  return (values, count, shape) => {
    const out = new Float32Array(values.length);
    const per = values.length / count;
    for (let i = 0; i < count; i++) out.set(decodeTensor(encodeTensor(values.subarray(i * per, (i + 1) * per), shape, encoding)).data, i * per);
    return out;
  };
}

async function main(): Promise<void> {
  const o = new Command()
    .name('calibrate')
    .description('sweep the exit threshold (max-softmax and entropy) and propose one for an accuracy budget')
    .option('--model-dir <dir>', 'trained model dir holding partitions/', path.join(REPO, 'models', 'trained', 'compact-branchynet'))
    .option('--placement <name>', 'partition to calibrate (its exits are swept)', 'edge-cloud')
    .option('--data <dir>', 'CIFAR-10 binary dir', defaultCifar10Dir(REPO))
    .option('--split <split>', 'test or train', 'test')
    .option('--limit <n>', 'use the first n images', (v) => parseInt(v, 10))
    .option('--accuracy-budget <drop>', 'allowed overall accuracy drop vs the last exit alone (0.01 = 1 point)', parseFloat, 0.01)
    .option('--reference-threshold <t>', 'max-softmax threshold to report for comparison (the paper used 0.8)', parseFloat, 0.8)
    .option('--bytes-per-value <n>', 'bytes per feature value on the wire (4 = float32, 2 = float16)', parseFloat, 4)
    .option('--batch <n>', 'inference batch size', (v) => parseInt(v, 10), 100)
    .option('--backend <name>', 'tfjs backend: auto, tensorflow, wasm or cpu', 'auto')
    .option('--out <dir>', 'output dir (default results/calibration/<model>-<placement>)')
    .option('--features <encodings>', 'wire encodings of forwarded features to compare (float32,float16,int8); the sweep uses the first', 'float32')
    .parse()
    .opts<{
      modelDir: string; placement: string; data: string; split: 'test' | 'train'; limit?: number; accuracyBudget: number;
      referenceThreshold: number; bytesPerValue: number; batch: number; backend: BackendPreference; out?: string; features: string;
    }>();
  const encodings = o.features.split(',').map((e) => e.trim()) as FeatureEncoding[];
  for (const e of encodings) if (!(e in BYTES_PER_VALUE)) throw new Error(`--features: "${e}" is not one of ${Object.keys(BYTES_PER_VALUE).join(', ')}`);
  if (!(o.accuracyBudget >= 0 && o.accuracyBudget < 1)) throw new Error(`--accuracy-budget ${o.accuracyBudget}: must be in [0, 1)`);
  const backend = await selectBackend(o.backend);
  const partition = await loadPartition(path.join(o.modelDir, 'partitions', o.placement));
  const data = loadCifar10(o.data, o.split, o.limit);
  let t0 = Date.now();
  const chain = (encoding: FeatureEncoding) => {
    t0 = Date.now();
    const out = runChain(partition, data.images, data.count, o.batch, (done) => {
      if (done % (o.batch * 10) === 0 || done === data.count) {
        const s = (Date.now() - t0) / 1000;
        process.stderr.write(`\r${encoding} features: ${done}/${data.count} images, ${(done / s).toFixed(0)} img/s on ${backend.name}   `);
      }
    }, wireLink(encoding));
    process.stderr.write('\n');
    return out;
  };
  const probs = chain(encodings[0]);
  const seconds = (Date.now() - t0) / 1000;
  if (o.features !== 'float32') o.bytesPerValue = BYTES_PER_VALUE[encodings[0]];
  const classes = partition.placement.classNames.length;
  const exits: ExitOutputs[] = [];
  for (const l of partition.layers) {
    const exit = l.manifest.outputs.find((x) => x.role === 'exit');
    const feat = l.manifest.outputs.find((x) => x.role === 'features');
    const bytes = feat && feat.role === 'features' ? feat.shape.reduce((a, b) => a * b, 1) * o.bytesPerValue : 0;
    if (exit) exits.push({ name: exit.name, probs: probs.get(exit.name)!, forwardBytes: bytes });
    else if (exits.length) exits[exits.length - 1].forwardBytes += bytes; // a relay layer adds its hop
  }
  const input: SweepInput = { exits, labels: data.labels, classes };
  const names = exits.map((e) => e.name);
  const finalAccuracy = exitAccuracy(exits[exits.length - 1].probs, data.labels, classes);
  const rows: Record<Criterion, ReturnType<typeof sweep>> = { 'max-softmax': sweep(input, 'max-softmax'), entropy: sweep(input, 'entropy') };
  const proposals = (Object.keys(rows) as Criterion[]).map((c) => propose(rows[c], finalAccuracy, o.accuracyBudget));
  const reference = evaluateThreshold(input, 'max-softmax', o.referenceThreshold);
  const out = o.out ?? path.join(REPO, 'results', 'calibration', `${partition.placement.model}-${o.placement}`);
  fs.mkdirSync(out, { recursive: true });
  const report = {
    model: partition.placement.model,
    modelVersion: partition.placement.modelVersion,
    placement: o.placement,
    data: { dir: o.data, split: o.split, images: data.count },
    backend: backend.name,
    inferenceSeconds: seconds,
    exits: names.map((n, i) => ({ name: n, accuracyAlone: exitAccuracy(exits[i].probs, data.labels, classes), forwardBytes: exits[i].forwardBytes })),
    accuracyBudget: o.accuracyBudget,
    finalExitAccuracy: finalAccuracy,
    proposals,
    reference,
    sweeps: rows,
  };
  fs.writeFileSync(path.join(out, 'calibration.json'), JSON.stringify(report, null, 1) + '\n');
  if (encodings.length > 1) {
    // Same images, same threshold: only the link between the layers differs.
    const rows = encodings.map((encoding, i) => {
      const p = i === 0 ? probs : chain(encoding);
      const ex = exits.map((e) => ({ ...e, probs: p.get(e.name)! }));
      const at = evaluateThreshold({ exits: ex, labels: data.labels, classes }, 'max-softmax', o.referenceThreshold);
      const featureBytes = partition.layers.flatMap((l) => l.manifest.outputs.filter((x) => x.role === 'features').map((x) => x.role === 'features' ? x.shape : []));
      return {
        encoding,
        bytesPerFeatureMap: featureBytes.map((shape) => encodeTensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape, encoding).length),
        lastExitAccuracy: exitAccuracy(ex[ex.length - 1].probs, data.labels, classes),
        overallAccuracy: at.overallAccuracy,
        answered: at.answered,
      };
    });
    const base = rows.find((r) => r.encoding === 'float32') ?? rows[0];
    const lines = rows.map((r) =>
      `${r.encoding.padEnd(8)} ${String(r.bytesPerFeatureMap.join('+')).padStart(8)} B  last exit ${(r.lastExitAccuracy * 100).toFixed(2)} % (${((r.lastExitAccuracy - base.lastExitAccuracy) * 100).toFixed(2)} pp)  ` +
      `overall at ${o.referenceThreshold} ${(r.overallAccuracy * 100).toFixed(2)} % (${((r.overallAccuracy - base.overallAccuracy) * 100).toFixed(2)} pp)`,
    );
    fs.writeFileSync(path.join(out, 'features.json'), JSON.stringify({ model: report.model, modelVersion: report.modelVersion, placement: o.placement, images: data.count, threshold: o.referenceThreshold, backend: backend.name, rows }, null, 1) + '\n');
    console.log(`feature encodings on the wire (${data.count} ${o.split} images, max-softmax ≥ ${o.referenceThreshold}):\n${lines.join('\n')}\n`);
  }
  const text = [
    `${report.model} (${report.modelVersion}), placement ${o.placement}, ${data.count} ${o.split} images, backend ${backend.name}, ${seconds.toFixed(1)} s`,
    `exit accuracy alone: ${report.exits.map((e) => `${e.name} ${(e.accuracyAlone * 100).toFixed(2)} %`).join(', ')}`,
    '',
    formatTable(rows['max-softmax'], names, { mark: proposals[0].row }),
    '',
    formatTable(rows.entropy, names, { mark: proposals[1].row }),
    '',
    `paper setting (max-softmax ≥ ${o.referenceThreshold}): answered ${reference.answered.map((a, i) => `${names[i]} ${(a * 100).toFixed(2)} %`).join(', ')}; ` +
      `accuracy there ${reference.accuracy.map((a) => (a === null ? '-' : `${(a * 100).toFixed(2)} %`)).join(', ')}; ` +
      `last exit on the first exit's images ${((reference.finalAccuracyOnSame[0] ?? 0) * 100).toFixed(2)} %; overall ${(reference.overallAccuracy * 100).toFixed(2)} %`,
    ...proposals.map((p) =>
      p.row
        ? `proposed (${p.criterion}, overall ≥ ${(p.minAccuracy * 100).toFixed(2)} %): threshold ${p.row.threshold} → early answers ${((1 - p.row.answered[p.row.answered.length - 1]) * 100).toFixed(2)} %, overall ${(p.row.overallAccuracy * 100).toFixed(2)} %, ${p.row.bytesUpstream.toFixed(0)} bytes upstream/image`
        : `proposed (${p.criterion}): no threshold keeps overall accuracy ≥ ${(p.minAccuracy * 100).toFixed(2)} %`,
    ),
  ].join('\n');
  fs.writeFileSync(path.join(out, 'calibration.txt'), text + '\n');
  fs.writeFileSync(
    path.join(out, 'calibration.svg'),
    await renderSvg({ title: `${report.model} ${o.placement}: exit threshold calibration (${data.count} ${o.split} images)`, exitNames: names, maxSoftmax: rows['max-softmax'], entropy: rows.entropy, proposals, reference }),
  );
  console.log(text);
  console.log(`\nwrote ${out}/calibration.{txt,json,svg}`);
  disposePartition(partition);
  tf.disposeVariables();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
