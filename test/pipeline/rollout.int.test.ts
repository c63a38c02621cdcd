/**
 * Rollout under load on a real broker (issue 12): two versions of a tiny model in the Kafka registry, an edge and
 * two cloud workers loading from it, 5 devices streaming while the model rolls out to the second version and back.
 * Nothing is lost or duplicated, nothing is dead-lettered, every answer names the version that produced it, and each
 * device sees the old version, then the new one, then the old one again. Bad input first: a rollout to a version the
 * registry lacks, and one whose entry lost a weight chunk, fail naming it and change nothing.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Kafka } from 'kafkajs';
import { CONTROL_TOPIC, CONTROL_TOPIC_CONFIGS } from '../../contracts/control';
import { REGISTRY_TOPIC, registryReference, ROLLOUT_TOPIC, ROLLOUT_TOPIC_CONFIGS } from '../../contracts/registry';
import { writeTinyPartition } from '../../models/testing/tiny-model';
import { registerPartition } from '../../models/pipeline/register';
import { clientConfig } from '../../runtime/kafka/client-settings';
import { startCluster, type KafkaCluster } from '../../runtime/kafka/cluster';
import type { DeviceRecord } from '../../contracts/records';
import { runDevices } from '../../runtime/devices/simulator';
import { rollout, RolloutError } from '../../runtime/registry/rollout';
import { deleteChunk } from '../../runtime/registry/store';
import { readCompacted } from '../../runtime/registry/topic-reader';
import { selectBackend } from '../../runtime/tf/backend';
import { loadSubModel } from '../../runtime/tf/sub-model';
import { startWorker, type WorkerHandle } from '../../runtime/worker/worker';
import { syntheticImages } from '../runtime/fixtures/tiny-model';

jest.setTimeout(180_000);

describe('rollout and rollback under load', () => {
  let cluster: KafkaCluster;
  let kafka: Kafka;
  const dirs: string[] = [];
  const workers: WorkerHandle[] = [];
  let v1: string;
  let v2: string;
  let broken: string;

  const deadLetters = async () => {
    let n = 0;
    for (const w of workers) for (const v of (await w.metrics.deadLetters.get()).values) n += v.value;
    return n;
  };
  const controlRecords = async () => [...(await readCompacted(kafka, CONTROL_TOPIC)).entries()].map(([k, v]) => `${k}=${v.toString()}`).sort();

  beforeAll(async () => {
    await selectBackend('cpu');
    cluster = await startCluster({ name: 'rollout-it' });
    kafka = new Kafka(clientConfig('rollout-it', cluster.bootstrapServers));
    await cluster.createTopics([
      { name: 'edge-in', partitions: 3 },
      { name: 'cloud-in', partitions: 2 },
      { name: 'edge-in.dlq' },
      { name: 'cloud-in.dlq' },
      { name: CONTROL_TOPIC, configs: CONTROL_TOPIC_CONFIGS },
      { name: ROLLOUT_TOPIC, configs: ROLLOUT_TOPIC_CONFIGS },
    ]);
    const versions: string[] = [];
    for (const seed of [7, 8, 9]) {
      const dir = mkdtempSync(path.join(tmpdir(), `rollout-it-${seed}-`));
      dirs.push(dir);
      await writeTinyPartition('edge-cloud', dir, seed);
      versions.push((await registerPartition(dir, [kafka])).version);
    }
    [v1, v2, broken] = versions;
    // the third version's entry loses a chunk of the cloud weights
    await deleteChunk(kafka, REGISTRY_TOPIC, broken, 'cloud', 'weights.bin', 0);

    // threshold at the median edge confidence of v1: both layers answer
    const edge = await loadSubModel(path.join(dirs[0], 'edge'));
    const tops = (await edge.predict(syntheticImages(40, 5).map((i) => i.pixels))).map((o) => Math.max(...o.exit!)).sort((a, b) => a - b);
    edge.dispose();
    const threshold = tops[20];

    const common = { brokers: cluster.bootstrapServers, threshold, httpPort: -1, logLevel: 'warn' as const, backend: 'cpu' as const };
    const deps = { processMetrics: false };
    for (const i of [0, 1]) {
      workers.push(await startWorker({ ...common, model: registryReference(v1, 'cloud'), inputTopic: 'cloud-in', clientId: `cloud-${i}` }, deps));
    }
    workers.push(await startWorker({ ...common, model: registryReference(v1, 'edge'), inputTopic: 'edge-in', nextTopic: 'cloud-in', clientId: 'edge-0' }, deps));
    await Promise.all(workers.map((w) => w.joined));
  }, 180_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await cluster?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('a rollout to a version the registry lacks, or whose entry lost a chunk, fails naming it and changes nothing', async () => {
    const before = await controlRecords();
    await expect(rollout({ clusters: {}, shared: kafka, target: { version: 'no-such-version' } })).rejects.toThrow(
      /model version no-such-version is not in the registry .*nothing was changed/,
    );
    const err = await rollout({ clusters: {}, shared: kafka, target: { version: broken } }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(RolloutError);
    expect((err as Error).message).toMatch(new RegExp(`model version ${broken}, layer cloud, file weights.bin, chunk 0 of \\d+ is missing.*nothing was changed`));
    expect(await controlRecords()).toEqual(before);
    // still serving, on v1
    const run = await runDevices({ brokers: cluster.bootstrapServers.split(','), requestTopic: 'edge-in', replyTopicPrefix: 'bad.replies', devices: 2, images: syntheticImages(10, 2), timeoutMs: 20_000 });
    expect(run.records.every((r) => r.answeredAt !== null && r.modelVersion === v1)).toBe(true);
    expect(await deadLetters()).toBe(0);
  });

  test('5 devices streaming: v1 → v2 → v1, nothing lost, duplicated or dead-lettered, no request mixes versions', async () => {
    const lines: string[] = [];
    const log = (l: string) => lines.push(`${new Date().toISOString()} ${l}`);
    let changes: Promise<{ rolledOutAt: number; rolledBackAt: number }> | null = null;
    let rolledBackAt = Infinity;
    // answers of the new version per device: the rollback waits until every device has had some
    const newAnswers = new Map<string, number>();
    const everyDeviceSawNew = async () => {
      for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) {
        if (newAnswers.size === 5 && [...newAnswers.values()].every((n) => n >= 5)) return;
      }
      throw new Error(`devices saw too few answers of the new version: ${JSON.stringify([...newAnswers])}`);
    };
    // Devices stream in rounds until the rollout and the rollback are done, and one round more (a round's length
    // depends on the machine; the changes take what they take). Closed loop, one request in flight per device: a
    // device's requests are sequential, so the order of the versions it sees is the rollout's order.
    const rounds: Awaited<ReturnType<typeof runDevices>>[] = [];
    const ROUND = 500;
    const more = () => rounds.length === 0 || rounds[rounds.length - 1].startedAt <= rolledBackAt;
    for (let round = 0; more(); round++) {
      rounds.push(
        await runDevices({
          brokers: cluster.bootstrapServers.split(','),
          requestTopic: 'edge-in',
          replyTopicPrefix: 'load.replies',
          devices: 5,
          images: syntheticImages(ROUND, 9 + round).map((img, i) => ({ ...img, id: round * ROUND + i })),
          mode: { kind: 'closed-loop', window: 1 },
          timeoutMs: 30_000,
          onProgress: (done, _total, answered) => {
            if (answered?.modelVersion === v2) newAnswers.set(answered.deviceId, (newAnswers.get(answered.deviceId) ?? 0) + 1);
            if (round !== 0 || done !== 100) return;
            changes = (async () => {
              const up = await rollout({ clusters: {}, shared: kafka, target: { version: v2 }, log, drainTimeoutMs: 30_000 });
              expect(up).toMatchObject({ outcome: 'done', target: v2, from: [v1], chain: ['edge', 'cloud'] });
              const rolledOutAt = Date.now();
              await everyDeviceSawNew();
              const down = await rollout({ clusters: {}, shared: kafka, target: { rollback: true }, log, drainTimeoutMs: 30_000 });
              expect(down).toMatchObject({ outcome: 'done', target: v1, from: [v2] });
              rolledBackAt = Date.now();
              return { rolledOutAt, rolledBackAt };
            })();
            changes.catch(() => (rolledBackAt = 0)); // ends the rounds; the await below fails the test
          },
        }),
      );
      if (rounds.length > 40) throw new Error('the rollout and rollback did not finish within 40 rounds');
    }
    expect(changes).not.toBeNull();
    const { rolledOutAt } = await changes!;
    console.log(`${rounds.length} rounds\n${lines.join('\n')}`);
    const result = {
      records: rounds.flatMap((r) => r.records).sort((a, b) => a.sentAt - b.sentAt),
      ...Object.fromEntries((['foreign', 'unknown', 'malformed'] as const).map((k) => [k, rounds.reduce((n, r) => n + r[k], 0)])),
      startedAt: rounds[0].startedAt,
    } as { records: DeviceRecord[]; foreign: number; unknown: number; malformed: number; startedAt: number };
    const sent = rounds.length * ROUND;
    expect(result.records).toHaveLength(sent);
    expect(result.records.filter((r) => r.answeredAt === null)).toEqual([]); // 0 lost
    expect(new Set(result.records.map((r) => r.requestId)).size).toBe(sent); // 0 duplicates after dedupe
    expect({ foreign: result.foreign, unknown: result.unknown, malformed: result.malformed }).toEqual({ foreign: 0, unknown: 0, malformed: 0 });
    expect(await deadLetters()).toBe(0); // no version mismatch, nor anything else
    for (const r of result.records) expect([v1, v2]).toContain(r.modelVersion);

    // per device, in the order sent: v1 …, v2 …, v1 … (no interleaving)
    const byDevice = new Map<string, string[]>();
    for (const r of result.records) byDevice.set(r.deviceId, [...(byDevice.get(r.deviceId) ?? []), r.modelVersion!]);
    for (const [device, versions] of byDevice) {
      const runs = versions.filter((v, i) => i === 0 || v !== versions[i - 1]);
      expect({ device, runs }).toEqual({ device, runs: [v1, v2, v1] });
    }
    // both exits answered with the new version
    const v2Layers = new Set(result.records.filter((r) => r.modelVersion === v2).map((r) => r.layer));
    expect([...v2Layers].sort()).toEqual(['cloud', 'edge']);
    expect(rolledOutAt).toBeGreaterThan(result.startedAt);
    // the workers serve v1 only again; v2 was disposed everywhere
    for (const w of workers) {
      const loaded = (await w.metrics.registry.getSingleMetric('ddnn_model_loaded')!.get()).values.map((v) => v.labels.version);
      expect(loaded).toEqual([v1]);
    }
  });
});
