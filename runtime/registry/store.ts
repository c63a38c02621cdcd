/**
 * The model registry on a Kafka cluster (format: contracts/registry.ts): publish a version, list versions, read one
 * layer's files of one version. Chunks are written before the manifest, so a reader that finds a manifest finds a
 * complete entry unless something removed records since; then the error names the missing chunk.
 */
import type { Kafka } from 'kafkajs';
import {
  assembleLayer,
  chunkKey,
  decodeRegistryManifest,
  manifestKey,
  parseRegistryKey,
  REGISTRY_TOPIC_CONFIGS,
  RegistryError,
  type RegistryManifest,
  type RegistryRecord,
} from '../../contracts/registry';
import { ACKS_ALL, LOW_LATENCY_PRODUCER } from '../kafka/client-settings';
import { createTopics } from '../kafka/topics';
import { readCompacted, TopicMissingError } from './topic-reader';

/** Creates a compacted topic when it is missing (one partition: a version's records stay in order). */
export async function ensureCompactedTopic(kafka: Kafka, topic: string, configs: Readonly<Record<string, string>>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const brokers = (await admin.describeCluster()).brokers.length;
    await createTopics(admin, [{ name: topic, partitions: 1, configs }], brokers);
  } finally {
    await admin.disconnect();
  }
}

/** Every version's manifest in the registry (empty when the topic does not exist). Bad manifests are reported, not thrown. */
export async function listVersions(kafka: Kafka, topic: string): Promise<{ versions: Map<string, RegistryManifest>; problems: string[] }> {
  const versions = new Map<string, RegistryManifest>();
  const problems: string[] = [];
  let records: Map<string, Buffer>;
  try {
    records = await readCompacted(kafka, topic, (k) => parseRegistryKey(k)?.kind === 'manifest');
  } catch (e) {
    if (e instanceof TopicMissingError) return { versions, problems };
    throw e;
  }
  for (const [key, value] of records) {
    const version = parseRegistryKey(key)!.version;
    try {
      versions.set(version, decodeRegistryManifest(version, value));
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return { versions, problems };
}

/**
 * Publishes a version: its chunk records, then its manifest. 'exists' when the registry already holds a manifest for
 * this version (content hash: same content), and then nothing is written.
 */
export async function publishVersion(
  kafka: Kafka,
  topic: string,
  manifest: RegistryManifest,
  chunks: readonly RegistryRecord[],
): Promise<'published' | 'exists'> {
  await ensureCompactedTopic(kafka, topic, REGISTRY_TOPIC_CONFIGS);
  const { versions } = await listVersions(kafka, topic);
  if (versions.has(manifest.modelVersion)) return 'exists';
  const producer = kafka.producer({ ...LOW_LATENCY_PRODUCER });
  await producer.connect();
  try {
    // One chunk per request: each stays under the broker's request limit.
    for (const c of chunks) await producer.send({ topic, acks: ACKS_ALL, messages: [{ key: c.key, value: c.value }] });
    await producer.send({ topic, acks: ACKS_ALL, messages: [{ key: manifestKey(manifest.modelVersion), value: Buffer.from(JSON.stringify(manifest)) }] });
  } finally {
    await producer.disconnect();
  }
  return 'published';
}

/** One layer's files of one version, every chunk checked. Throws RegistryError naming what is missing or corrupt. */
export async function readLayerFiles(kafka: Kafka, topic: string, version: string, layer: string): Promise<{ manifest: RegistryManifest; files: Map<string, Buffer> }> {
  let records: Map<string, Buffer>;
  try {
    records = await readCompacted(kafka, topic, (k) => k === manifestKey(version) || k.startsWith(`${version}/${layer}/`));
  } catch (e) {
    if (e instanceof TopicMissingError) throw new RegistryError(`model version ${version}: the registry topic ${topic} does not exist on this cluster`);
    throw e;
  }
  const raw = records.get(manifestKey(version));
  if (!raw) throw new RegistryError(`model version ${version} is not in the registry (topic ${topic})`);
  const manifest = decodeRegistryManifest(version, raw);
  return { manifest, files: assembleLayer(manifest, layer, (k) => records.get(k)) };
}

/** Removes one chunk (a tombstone): for tests of the missing-chunk error and for operators pruning a bad entry. */
export async function deleteChunk(kafka: Kafka, topic: string, version: string, layer: string, file: string, chunk: number): Promise<void> {
  const producer = kafka.producer({ ...LOW_LATENCY_PRODUCER });
  await producer.connect();
  try {
    await producer.send({ topic, acks: ACKS_ALL, messages: [{ key: chunkKey(version, layer, file, chunk), value: null }] });
  } finally {
    await producer.disconnect();
  }
}
