/** The registry's format (contracts/registry.ts): chunking, hashes, reassembly and the errors that name a chunk. */
import {
  assembleLayer,
  chunkFile,
  chunkKey,
  contentVersion,
  decodeRegistryManifest,
  parseRegistryKey,
  parseRegistryReference,
  registryReference,
  RegistryManifest,
  sha256,
} from '../../contracts/registry';
import type { SubModelManifest } from '../../contracts/manifest';

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

function entry(version: string, files: Record<string, Uint8Array>, chunkBytes: number) {
  const cut = Object.entries(files).map(([name, data]) => chunkFile(version, 'cloud', name, data, chunkBytes));
  const sub: SubModelManifest = {
    formatVersion: 1, model: 'tiny', modelVersion: version, layer: 'cloud', index: 0,
    input: { shape: [2], dtype: 'float32', scale: 1 }, outputs: [{ role: 'exit', name: 'e', classes: 2 }], next: null, modelFile: 'model.json',
  };
  const manifest = RegistryManifest.parse({
    formatVersion: 1, model: 'tiny', modelVersion: version,
    placement: { formatVersion: 1, model: 'tiny', modelVersion: version, classNames: ['a', 'b'], layers: ['cloud'] },
    layers: { cloud: { manifest: sub, files: cut.map((c) => c.file) } },
    createdAt: 1,
  });
  const records = new Map(cut.flatMap((c) => c.records).map((r) => [r.key, r.value as Uint8Array]));
  return { manifest, records };
}

describe('registry format', () => {
  test('a file is cut into chunks of at most the chunk size, keyed <version>/<layer>/<file>/<chunk#>, each hashed', () => {
    const data = bytes(2500);
    const { file, records } = chunkFile('abc123', 'edge', 'weights.bin', data, 1000);
    expect(records.map((r) => r.key)).toEqual(['abc123/edge/weights.bin/0', 'abc123/edge/weights.bin/1', 'abc123/edge/weights.bin/2']);
    expect(file.chunks.map((c) => c.bytes)).toEqual([1000, 1000, 500]);
    expect(file).toMatchObject({ name: 'weights.bin', bytes: 2500, sha256: sha256(data) });
    expect(file.chunks[1].sha256).toBe(sha256(data.subarray(1000, 2000)));
    expect(Buffer.concat(records.map((r) => r.value))).toEqual(Buffer.from(data));
    // an empty file is one empty chunk
    expect(chunkFile('v', 'edge', 'empty.bin', new Uint8Array(0)).records).toHaveLength(1);
  });

  test('chunks reassemble into the files, checked against the manifest', () => {
    const files = { 'model.json': Buffer.from('{"x":1}'), 'weights.bin': bytes(3000, 5) };
    const { manifest, records } = entry('v1', files, 1024);
    const out = assembleLayer(manifest, 'cloud', (k) => records.get(k));
    expect(out.get('weights.bin')).toEqual(Buffer.from(files['weights.bin']));
    expect(out.get('model.json')!.toString()).toBe('{"x":1}');
  });

  test('a missing chunk is named: version, layer, file and chunk', () => {
    const { manifest, records } = entry('v1', { 'weights.bin': bytes(3000) }, 1024);
    records.delete(chunkKey('v1', 'cloud', 'weights.bin', 1));
    expect(() => assembleLayer(manifest, 'cloud', (k) => records.get(k))).toThrow('model version v1, layer cloud, file weights.bin, chunk 1 of 3 is missing from the registry');
  });

  test('a corrupt chunk is named with what it holds and what the manifest says', () => {
    const { manifest, records } = entry('v1', { 'weights.bin': bytes(3000) }, 1024);
    const bad = Uint8Array.from(records.get(chunkKey('v1', 'cloud', 'weights.bin', 2))!);
    bad[0] ^= 0xff;
    records.set(chunkKey('v1', 'cloud', 'weights.bin', 2), bad);
    expect(() => assembleLayer(manifest, 'cloud', (k) => records.get(k))).toThrow(/model version v1, layer cloud, file weights.bin, chunk 2 of 3 is corrupt/);
    expect(() => assembleLayer(manifest, 'edge', (k) => records.get(k))).toThrow('model version v1 has no layer "edge" (it has cloud)');
  });

  test('the content version depends on every byte and name, not on the order files are listed in', () => {
    const a = [{ layer: 'edge', files: [{ name: 'model.json', data: bytes(10) }, { name: 'weights.bin', data: bytes(20) }] }];
    const b = [{ layer: 'edge', files: [{ name: 'weights.bin', data: bytes(20) }, { name: 'model.json', data: bytes(10) }] }];
    expect(contentVersion(a)).toBe(contentVersion(b));
    expect(contentVersion(a)).toMatch(/^[0-9a-f]{16}$/);
    const c = [{ layer: 'edge', files: [{ name: 'model.json', data: bytes(10) }, { name: 'weights.bin', data: bytes(20, 2) }] }];
    expect(contentVersion(c)).not.toBe(contentVersion(a));
    expect(contentVersion([{ ...a[0], layer: 'cloud' }])).not.toBe(contentVersion(a));
  });

  test('keys, references and manifests parse strictly', () => {
    expect(parseRegistryKey('v1/manifest')).toEqual({ kind: 'manifest', version: 'v1' });
    expect(parseRegistryKey('v1/edge/weights.bin/3')).toEqual({ kind: 'chunk', version: 'v1', layer: 'edge', file: 'weights.bin', chunk: 3 });
    expect(parseRegistryKey('v1/edge/../3')).toBeNull();
    expect(parseRegistryReference(registryReference('abc'))).toEqual({ version: 'abc' });
    expect(parseRegistryReference(registryReference('abc', 'cloud'))).toEqual({ version: 'abc', layer: 'cloud' });
    expect(parseRegistryReference('/models/edge')).toBeNull();
    expect(() => parseRegistryReference('registry:a b')).toThrow('"registry:a b" is not registry:<version>');
    const { manifest } = entry('v1', { 'weights.bin': bytes(10) }, 1024);
    expect(() => decodeRegistryManifest('v2', Buffer.from(JSON.stringify(manifest)))).toThrow('names version v1');
    expect(() => decodeRegistryManifest('v1', Buffer.from('{'))).toThrow(/registry manifest of v1 is not JSON/);
    expect(() => decodeRegistryManifest('v1', Buffer.from(JSON.stringify({ ...manifest, layers: {} })))).toThrow(/layers.cloud: placement layer cloud has no entry/);
  });
});
