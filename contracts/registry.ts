/**
 * The model registry's format (issue 12): a compacted Kafka topic on each layer's cluster holding, per model version,
 * one manifest record and the version's files cut into chunks. Workers load a version from their own cluster's
 * registry, so Kafka stays the only link; on Kubernetes the same entry lives in the model bucket (the constructs
 * render the reference).
 *
 * Keys: `<version>/manifest` (the RegistryManifest, JSON) and `<version>/<layer>/<file>/<chunk#>` (raw bytes, at most
 * CHUNK_BYTES). The publisher writes every chunk before the manifest, so a manifest present means its chunks were
 * written; readers still check each chunk's sha256 and say which one is missing or corrupt.
 */
import { createHash } from 'crypto';
import { z } from 'zod';
import { PlacementManifest, SubModelManifest } from './manifest';

export const REGISTRY_TOPIC = 'ddnn.models';

/** A chunk stays well under Kafka's default 1 MiB record limit. */
export const CHUNK_BYTES = 512 * 1024;

/** Compacted: the log holds the last record per key, so it is the registry; one partition keeps a version's records in order. */
export const REGISTRY_TOPIC_CONFIGS: Readonly<Record<string, string>> = {
  'cleanup.policy': 'compact',
  'max.message.bytes': String(1024 * 1024 + 64 * 1024),
};

/** A reference to a version in the registry of the cluster the worker runs on, used in control records' `sources`. */
export const REGISTRY_SCHEME = 'registry:';

const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SHA256 = /^[0-9a-f]{64}$/;

export const RegistryChunk = z.object({ bytes: z.number().int().nonnegative().max(CHUNK_BYTES), sha256: z.string().regex(SHA256) }).strict();

export const RegistryFile = z
  .object({
    name: z.string().regex(FILE),
    bytes: z.number().int().nonnegative(),
    sha256: z.string().regex(SHA256),
    chunks: z.array(RegistryChunk),
  })
  .strict();
export type RegistryFile = z.infer<typeof RegistryFile>;

export const RegistryLayer = z.object({ manifest: SubModelManifest, files: z.array(RegistryFile).min(1) }).strict();

export const RegistryManifest = z
  .object({
    formatVersion: z.literal(1),
    model: z.string().min(1),
    /** content hash of every layer's model.json + weights (+ the placement): travels as ddnn-model-version */
    modelVersion: z.string().regex(VERSION),
    placement: PlacementManifest,
    /** one entry per placement layer, in chain order */
    layers: z.record(z.string().min(1), RegistryLayer),
    createdAt: z.number().int().nonnegative(),
    /** who registered it, e.g. the trained-model dir */
    source: z.string().max(2000).optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    for (const layer of m.placement.layers) {
      const l = m.layers[layer];
      if (!l) ctx.addIssue({ code: 'custom', path: ['layers', layer], message: `placement layer ${layer} has no entry` });
      else if (l.manifest.modelVersion !== m.modelVersion || l.manifest.layer !== layer) {
        ctx.addIssue({ code: 'custom', path: ['layers', layer], message: `sub-model manifest says ${l.manifest.layer}@${l.manifest.modelVersion}` });
      }
    }
    if (m.placement.modelVersion !== m.modelVersion) ctx.addIssue({ code: 'custom', path: ['placement', 'modelVersion'], message: 'differs from modelVersion' });
  });
export type RegistryManifest = z.infer<typeof RegistryManifest>;

export function isVersionName(v: string): boolean {
  return VERSION.test(v);
}

export const manifestKey = (version: string): string => `${version}/manifest`;
export const chunkKey = (version: string, layer: string, file: string, chunk: number): string => `${version}/${layer}/${file}/${chunk}`;

/** Parses a registry record key; null for a key that is not one. */
export function parseRegistryKey(key: string): { kind: 'manifest'; version: string } | { kind: 'chunk'; version: string; layer: string; file: string; chunk: number } | null {
  const parts = key.split('/');
  if (parts.length === 2 && parts[1] === 'manifest' && VERSION.test(parts[0])) return { kind: 'manifest', version: parts[0] };
  if (parts.length === 4 && VERSION.test(parts[0]) && FILE.test(parts[2]) && /^\d{1,6}$/.test(parts[3])) {
    return { kind: 'chunk', version: parts[0], layer: parts[1], file: parts[2], chunk: Number(parts[3]) };
  }
  return null;
}

/** `registry:<version>` (in a control record's sources: the layer is the worker's) or `registry:<version>/<layer>`. */
export function registryReference(version: string, layer?: string): string {
  return `${REGISTRY_SCHEME}${version}${layer ? `/${layer}` : ''}`;
}

/** The version (and layer) a registry reference names, or null when the source is a path or URL. */
export function parseRegistryReference(source: string): { version: string; layer?: string } | null {
  if (!source.startsWith(REGISTRY_SCHEME)) return null;
  const [version, layer, ...rest] = source.slice(REGISTRY_SCHEME.length).split('/');
  if (!VERSION.test(version) || rest.length > 0 || (layer !== undefined && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(layer))) {
    throw new RegistryError(`"${source}" is not registry:<version> or registry:<version>/<layer>`);
  }
  return layer === undefined ? { version } : { version, layer };
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export class RegistryError extends Error {}

/**
 * The content hash that names a version: the placement's layer order and, per layer, its files (name + bytes).
 * The sub-model manifests are left out: they carry the version itself.
 */
export function contentVersion(layers: ReadonlyArray<{ layer: string; files: ReadonlyArray<{ name: string; data: Uint8Array }> }>): string {
  const h = createHash('sha256');
  for (const l of layers) {
    h.update(`layer ${l.layer}\n`);
    for (const f of [...l.files].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      h.update(`file ${f.name} ${f.data.byteLength}\n`);
      h.update(f.data);
    }
  }
  return h.digest('hex').slice(0, 16);
}

export interface RegistryRecord {
  key: string;
  value: Buffer;
}

/** Cuts one file into chunk records and describes it for the manifest. */
export function chunkFile(version: string, layer: string, name: string, data: Uint8Array, chunkBytes = CHUNK_BYTES): { file: RegistryFile; records: RegistryRecord[] } {
  if (!FILE.test(name)) throw new RegistryError(`file name "${name}" (layer ${layer}) is not a plain file name`);
  const records: RegistryRecord[] = [];
  const chunks: z.infer<typeof RegistryChunk>[] = [];
  for (let i = 0, off = 0; off < data.byteLength || i === 0; i++, off += chunkBytes) {
    const part = Buffer.from(data.subarray(off, Math.min(off + chunkBytes, data.byteLength)));
    chunks.push({ bytes: part.byteLength, sha256: sha256(part) });
    records.push({ key: chunkKey(version, layer, name, i), value: part });
  }
  return { file: { name, bytes: data.byteLength, sha256: sha256(data), chunks }, records };
}

/**
 * Reassembles one layer's files from chunk records (by key), checking every chunk and every file against the
 * manifest. Throws RegistryError naming the version, layer, file and chunk that is missing or corrupt.
 */
export function assembleLayer(manifest: RegistryManifest, layer: string, chunkOf: (key: string) => Uint8Array | undefined): Map<string, Buffer> {
  const version = manifest.modelVersion;
  const entry = manifest.layers[layer];
  if (!entry) throw new RegistryError(`model version ${version} has no layer "${layer}" (it has ${Object.keys(manifest.layers).join(', ')})`);
  const files = new Map<string, Buffer>();
  for (const f of entry.files) {
    const parts = f.chunks.map((c, i) => {
      const where = `model version ${version}, layer ${layer}, file ${f.name}, chunk ${i} of ${f.chunks.length}`;
      const data = chunkOf(chunkKey(version, layer, f.name, i));
      if (data === undefined) throw new RegistryError(`${where} is missing from the registry`);
      if (data.byteLength !== c.bytes || sha256(data) !== c.sha256) {
        throw new RegistryError(`${where} is corrupt: ${data.byteLength} bytes with sha256 ${sha256(data).slice(0, 12)}…, the manifest says ${c.bytes} bytes, ${c.sha256.slice(0, 12)}…`);
      }
      return data;
    });
    const whole = Buffer.concat(parts);
    if (whole.byteLength !== f.bytes || sha256(whole) !== f.sha256) {
      throw new RegistryError(`model version ${version}, layer ${layer}, file ${f.name} is corrupt: the chunks do not add up to the manifest's ${f.bytes} bytes / sha256`);
    }
    files.set(f.name, whole);
  }
  return files;
}

/** Decodes a manifest record's value; throws RegistryError naming the version. */
export function decodeRegistryManifest(version: string, value: Uint8Array): RegistryManifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(value).toString('utf8'));
  } catch (e) {
    throw new RegistryError(`registry manifest of ${version} is not JSON: ${(e as Error).message}`);
  }
  const parsed = RegistryManifest.safeParse(json);
  if (!parsed.success) {
    throw new RegistryError(`registry manifest of ${version}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; ')}`);
  }
  if (parsed.data.modelVersion !== version) throw new RegistryError(`registry manifest under key ${manifestKey(version)} names version ${parsed.data.modelVersion}`);
  return parsed.data;
}

/**
 * The rollout topic (compacted, on each layer's cluster): every worker replica reports which model versions it has
 * loaded (`replica/<layer>/<clientId>`), and the rollout CLI keeps the versions it rolled out (`history`), so a
 * rollback knows where to go back to.
 */
export const ROLLOUT_TOPIC = 'ddnn.rollout';
export const ROLLOUT_TOPIC_CONFIGS: Readonly<Record<string, string>> = { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': '600000' };
export const replicaStatusKey = (layer: string, clientId: string): string => `replica/${layer}/${clientId}`;
export const HISTORY_KEY = 'history';

export const ReplicaStatus = z
  .object({
    layer: z.string().min(1),
    clientId: z.string().min(1),
    /** the consumer-group member id of the replica's last join: the rollout matches it with the group's members */
    memberId: z.string().nullable(),
    groupId: z.string().min(1),
    inputTopic: z.string().min(1),
    active: z.string().min(1),
    loaded: z.array(z.string().min(1)),
    /** the last models record this replica could not apply, with why (it keeps serving what it had) */
    error: z.string().max(2000).optional(),
    at: z.number().int().nonnegative(),
  })
  .strict();
export type ReplicaStatus = z.infer<typeof ReplicaStatus>;

export const RolloutHistory = z
  .object({ versions: z.array(z.string().regex(VERSION)).max(50), at: z.number().int().nonnegative() })
  .strict();
export type RolloutHistory = z.infer<typeof RolloutHistory>;
