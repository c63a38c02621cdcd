/**
 * `pipeline register`: a trained model dir → sub-models partitioned for a placement (self-contained folders, weights
 * copied) → a content-hash version → the registry topic of every given cluster (contracts/registry.ts). Registering
 * the same content again writes nothing and says so.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Kafka } from 'kafkajs';
import { PlacementManifest, SubModelManifest } from '../../contracts/manifest';
import { chunkFile, contentVersion, REGISTRY_TOPIC, RegistryError, RegistryManifest, type RegistryRecord } from '../../contracts/registry';
import { clientConfig } from '../../runtime/kafka/client-settings';
import type { ClientSecurity } from '../../runtime/kafka/security';
import { publishVersion } from '../../runtime/registry/store';
import { loadArchitecture } from '../architecture';
import { writePartition } from '../partition';
import { resolvePlacement } from '../placement';
import { disposeWeights, readTrainedWeights } from '../weights';

export interface RegistryEntry {
  version: string;
  manifest: RegistryManifest;
  records: RegistryRecord[];
  bytes: number;
}

/**
 * Reads a partitioned model folder (placement.json + one folder per layer, weights copied, not views), names it by
 * content and rewrites its manifests with that version (so workers may also load the folder itself), and returns the
 * registry entry: manifest + chunk records.
 */
export function buildRegistryEntry(dir: string, source?: string, chunkBytes?: number): RegistryEntry {
  const placementFile = path.join(dir, 'placement.json');
  if (!fs.existsSync(placementFile)) throw new RegistryError(`${dir}: no placement.json (not a partitioned model)`);
  const placement = PlacementManifest.parse(JSON.parse(fs.readFileSync(placementFile, 'utf8')));
  const layers = placement.layers.map((layer) => {
    const ldir = path.join(dir, layer);
    const sub = SubModelManifest.parse(JSON.parse(fs.readFileSync(path.join(ldir, 'manifest.json'), 'utf8')));
    const modelJson = JSON.parse(fs.readFileSync(path.join(ldir, sub.modelFile), 'utf8')) as { weightNames?: unknown };
    if (modelJson.weightNames) throw new RegistryError(`${ldir}: a view of a shared weights file; partition with --weights-layout copy`);
    const files = fs
      .readdirSync(ldir)
      .filter((f) => f !== 'manifest.json')
      .sort()
      .map((name) => ({ name, data: new Uint8Array(fs.readFileSync(path.join(ldir, name))) }));
    return { layer, dir: ldir, sub, files };
  });
  const version = contentVersion(layers);
  const records: RegistryRecord[] = [];
  const entries: RegistryManifest['layers'] = {};
  for (const l of layers) {
    const sub = SubModelManifest.parse({ ...l.sub, modelVersion: version });
    const manifestBytes = Buffer.from(JSON.stringify(sub, null, 2) + '\n');
    fs.writeFileSync(path.join(l.dir, 'manifest.json'), manifestBytes);
    const files = [...l.files, { name: 'manifest.json', data: new Uint8Array(manifestBytes) }].map((f) => chunkFile(version, l.layer, f.name, f.data, chunkBytes));
    records.push(...files.flatMap((f) => f.records));
    entries[l.layer] = { manifest: sub, files: files.map((f) => f.file) };
  }
  const placementOut = PlacementManifest.parse({ ...placement, modelVersion: version });
  fs.writeFileSync(placementFile, JSON.stringify(placementOut, null, 2) + '\n');
  const manifest = RegistryManifest.parse({
    formatVersion: 1,
    model: placement.model,
    modelVersion: version,
    placement: placementOut,
    layers: entries,
    createdAt: Date.now(),
    ...(source ? { source } : {}),
  });
  return { version, manifest, records, bytes: records.reduce((n, r) => n + r.value.byteLength, 0) };
}

export interface RegisterOptions {
  /** trained model dir: weights.json + weights.bin (npm run pipeline -- train, or models/trained/<name>) */
  modelDir: string;
  /** architecture spec name or path; default: the one the weights were trained for */
  arch?: string;
  /** standard placement name or placement .json */
  placement: string;
  /** one bootstrap list per cluster whose registry gets the version (each layer loads from its own cluster) */
  clusters: string[][];
  topic?: string;
  security?: ClientSecurity;
  /** where the partitioned folders are written (kept); default a temp dir, removed after */
  out?: string;
  log?: (line: string) => void;
}

export interface RegisterSummary {
  version: string;
  model: string;
  layers: string[];
  chunks: number;
  bytes: number;
  /** per cluster (its bootstrap list): published now, or already there */
  results: { brokers: string; outcome: 'published' | 'exists' }[];
  out: string | null;
}

export async function registerModel(o: RegisterOptions): Promise<RegisterSummary> {
  const log = o.log ?? (() => undefined);
  if (o.clusters.length === 0) throw new Error('register: give at least one cluster (--brokers)');
  const weights = readTrainedWeights(o.modelDir);
  const spec = loadArchitecture(o.arch ?? weights.meta.architecture);
  if (weights.meta.architecture !== spec.name) throw new Error(`${o.modelDir} holds weights of '${weights.meta.architecture}', not '${spec.name}'`);
  const placement = resolvePlacement(spec, o.placement);
  const out = o.out ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ddnn-register-'));
  let entry: RegistryEntry;
  try {
    await writePartition(spec, { tensors: weights.tensors, modelVersion: weights.meta.modelVersion }, placement, out, {
      float16: weights.meta.storage === 'float16',
    });
    entry = buildRegistryEntry(out, `${path.resolve(o.modelDir)} (${spec.name}, ${placement.name})`);
  } finally {
    disposeWeights(weights);
    if (!o.out) fs.rmSync(out, { recursive: true, force: true });
  }
  log(`${spec.name} for ${placement.name} (${entry.manifest.placement.layers.join(' → ')}): version ${entry.version}, ${entry.records.length} chunks, ${entry.bytes} bytes`);
  const results: RegisterSummary['results'] = [];
  for (const brokers of o.clusters) {
    const kafka = new Kafka(clientConfig('ddnn-pipeline-register', brokers, o.security));
    const outcome = await publishVersion(kafka, o.topic ?? REGISTRY_TOPIC, entry.manifest, entry.records);
    log(outcome === 'exists' ? `${brokers.join(',')}: version ${entry.version} is already registered; nothing written` : `${brokers.join(',')}: published version ${entry.version}`);
    results.push({ brokers: brokers.join(','), outcome });
  }
  return {
    version: entry.version,
    model: spec.name,
    layers: entry.manifest.placement.layers,
    chunks: entry.records.length,
    bytes: entry.bytes,
    results,
    out: o.out ?? null,
  };
}

/** Publishes an already-partitioned folder (tests, or a partition made by `npm run partition -- --weights-layout copy`). */
export async function registerPartition(dir: string, clusters: Kafka[], topic = REGISTRY_TOPIC): Promise<{ version: string; outcomes: ('published' | 'exists')[] }> {
  const entry = buildRegistryEntry(dir, path.resolve(dir));
  const outcomes: ('published' | 'exists')[] = [];
  for (const kafka of clusters) outcomes.push(await publishVersion(kafka, topic, entry.manifest, entry.records));
  return { version: entry.version, outcomes };
}
