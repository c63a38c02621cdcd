/**
 * Weights views: a sub-model whose model.json lists the weights manifest of a shared weights file (e.g. the trained
 * model's one weights.bin, `../../../weights.bin`) and names the weights it uses in `weightNames`. Partitions of a
 * large model are written that way so the weights are stored once, not once per placement (models/partition.ts).
 *
 * The manifest is the shared file's whole manifest, in order, so the bytes decode correctly with any tfjs loader;
 * a strict tfjs loader refuses it (weights without a target variable) rather than loading wrong values. The loaders
 * of this project (runtime/tf/model-loader.ts, models/layers-files.ts) keep only the named weights' bytes.
 * Pure: no tfjs, no I/O.
 */

/** The subset of tfjs' WeightsManifestEntry this needs. */
export interface ViewEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype?: string };
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, float16: 2, uint8: 1, uint16: 2, int8: 1 };

/** Bytes one entry takes in a weights shard. */
export function entryBytes(e: ViewEntry): number {
  const stored = e.quantization?.dtype ?? e.dtype;
  const per = BYTES[stored];
  if (per === undefined) throw new Error(`weight '${e.name}': cannot size stored dtype '${stored}'`);
  return e.shape.reduce((a, b) => a * b, 1) * per;
}

/**
 * Keeps the entries named in `names` (in their manifest order) and their bytes. `groups[i]` holds the manifest
 * group's entries and its shards joined. Fails naming a weight that no group holds, or a group whose bytes do not
 * match its entries.
 */
export function selectWeights<E extends ViewEntry>(
  groups: Array<{ entries: E[]; data: Uint8Array }>,
  names: readonly string[],
): { entries: E[]; data: Uint8Array } {
  const wanted = new Set(names);
  const picked: Array<{ entry: E; bytes: Uint8Array }> = [];
  for (const g of groups) {
    let offset = 0;
    for (const e of g.entries) {
      const n = entryBytes(e);
      if (wanted.has(e.name)) picked.push({ entry: e, bytes: g.data.subarray(offset, offset + n) });
      offset += n;
    }
    if (offset !== g.data.byteLength) {
      throw new Error(`weights view: a shard group holds ${g.data.byteLength} bytes, its manifest needs ${offset}`);
    }
  }
  const found = new Set(picked.map((p) => p.entry.name));
  const missing = names.filter((n) => !found.has(n));
  if (missing.length) throw new Error(`weights view: the shared weights lack ${missing.slice(0, 5).join(', ')}`);
  const data = new Uint8Array(picked.reduce((n, p) => n + p.bytes.byteLength, 0));
  let at = 0;
  for (const p of picked) {
    data.set(p.bytes, at);
    at += p.bytes.byteLength;
  }
  return { entries: picked.map((p) => p.entry), data };
}
