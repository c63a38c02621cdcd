/**
 * Run-time settings through the control topic, on a real broker: edge + cloud workers of a tiny model follow
 * `ddnn.control` while a stream of requests flows. A threshold change loses no request and shows in the answers'
 * ddnn-settings header within a bounded number of requests; the cut switch (threshold 0 at the edge: everything
 * answered there) and back loses nothing and misroutes nothing; bad control records are ignored with a logged
 * reason and a metric; a SIGKILLed controller process leaves the continuum serving on the settings it wrote.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { Kafka, type Consumer, type Producer } from 'kafkajs';
import pino from 'pino';
import { CONTROL_TOPIC, CONTROL_TOPIC_CONFIGS, encodeControlValue } from '../../contracts/control';
import { decodeAnswerHeaders, type AnswerHeaders } from '../../contracts/wire/headers';
import { startCluster, type KafkaCluster } from '../../runtime/kafka/cluster';
import { ACKS_ALL, LOW_LATENCY_CONSUMER } from '../../runtime/kafka/client-settings';
import { selectBackend } from '../../runtime/tf/backend';
import { loadSubModel } from '../../runtime/tf/sub-model';
import { argmax } from '../../runtime/worker/exit-policy';
import { RELAY_CANARY_EVERY, startWorker, type WorkerHandle } from '../../runtime/worker/worker';
import { encodeRequestHeaders, encodeTensor } from '../../runtime/wire';
import { syntheticImages, writeTinyPartitionedModel, writeTinyWholeModel } from '../runtime/fixtures/tiny-model';

const REPO = path.resolve(__dirname, '../..');
jest.setTimeout(120_000);

const REPLIES = 'replies.it';
const images = syntheticImages(40, 5);

describe('live settings through the control topic', () => {
  let cluster: KafkaCluster;
  let dir: string;
  let kafka: Kafka;
  let producer: Producer;
  let replies: Consumer;
  const workers: WorkerHandle[] = [];
  const children: ChildProcess[] = [];
  const logLines: string[] = [];
  /** every answer by request id (the first), and how many came again */
  const answers = new Map<string, AnswerHeaders>();
  let duplicates = 0;
  const expected = new Map<number, { edgeTop: number; edgeClass: number; cloudClass: number }>();
  /** thresholds between the edge confidences: [low, mid, high] split the images about 30/50/70 % to the cloud */
  let t: number[];
  let run = 0;
  /** model version of the standby whole-model worker the edge relays to (cloud-only) */
  let wholeVersion: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ddnn-control-it-'));
    const model = await writeTinyPartitionedModel(dir, 13);
    const whole = await writeTinyWholeModel(path.join(dir, 'whole'), 13);
    wholeVersion = whole.modelVersion;
    await selectBackend('auto');
    const edge = await loadSubModel(model.edge);
    const cloud = await loadSubModel(model.cloud);
    const edgeOut = await edge.predict(images.map((i) => i.pixels));
    const cloudOut = await cloud.predict(edgeOut.map((o) => o.features!));
    images.forEach((img, i) => {
      const e = argmax(edgeOut[i].exit!);
      expected.set(img.id, { edgeTop: e.value, edgeClass: e.index, cloudClass: argmax(cloudOut[i].exit!).index });
    });
    edge.dispose();
    cloud.dispose();
    const tops = [...expected.values()].map((e) => e.edgeTop).sort((a, b) => a - b);
    const between = (q: number) => (tops[Math.floor(tops.length * q) - 1] + tops[Math.floor(tops.length * q)]) / 2;
    t = [between(0.3), between(0.5), between(0.7)];

    cluster = await startCluster({ name: 'control-it' });
    await cluster.createTopics([
      { name: 'edge-in', partitions: 4 },
      { name: 'cloud-in', partitions: 2 },
      { name: 'edge-in.dlq' },
      { name: 'cloud-in.dlq' },
      { name: 'whole-in', partitions: 2 },
      { name: 'whole-in.dlq' },
      { name: REPLIES },
      { name: CONTROL_TOPIC, partitions: 1, configs: { ...CONTROL_TOPIC_CONFIGS } },
    ]);
    const capture = new Writable({ write: (chunk, _e, cb) => (logLines.push(String(chunk)), cb()) });
    const common = { brokers: cluster.bootstrapServers, threshold: t[1], httpPort: 0, logLevel: 'warn' as const };
    workers.push(
      await startWorker({ ...common, model: model.cloud, inputTopic: 'cloud-in', clientId: 'cloud-0', logLevel: 'error' }, { processMetrics: false }),
      await startWorker({ ...common, model: model.edge, inputTopic: 'edge-in', nextTopic: 'cloud-in', relayTopic: 'whole-in', clientId: 'edge-0' }, { processMetrics: false, logger: pino({ level: 'info' }, capture) }),
      // controlTopic off: its manifest's layer is `cloud`, but the cloud's settings and model versions are not its own
      await startWorker({ ...common, model: whole.whole, inputTopic: 'whole-in', controlTopic: 'off', clientId: 'whole-0', logLevel: 'error' }, { processMetrics: false }),
    );
    await Promise.all(workers.map((w) => w.joined));

    kafka = new Kafka({ clientId: 'control-it', brokers: cluster.bootstrapServers.split(','), logLevel: 0 });
    producer = kafka.producer();
    await producer.connect();
    replies = kafka.consumer({ ...LOW_LATENCY_CONSUMER, groupId: 'control-it-replies' });
    await replies.connect();
    await replies.subscribe({ topic: REPLIES, fromBeginning: true });
    await replies.run({
      eachMessage: async ({ message }) => {
        const h = decodeAnswerHeaders(message.headers);
        if (answers.has(h.requestId)) duplicates++;
        else answers.set(h.requestId, h);
      },
    });
  }, 180_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await replies?.disconnect();
    await producer?.disconnect();
    await Promise.all(workers.map((w) => w.stop()));
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const control = (key: string, value: Buffer | string | null) =>
    producer.send({ topic: CONTROL_TOPIC, acks: ACKS_ALL, messages: [{ key, value: typeof value === 'string' ? Buffer.from(value) : value }] });
  const settings = (s: Record<string, unknown>) => encodeControlValue({ issuedAt: Date.now(), by: 'test', ...s } as never);

  /** Sends n requests, one every paceMs; `at[i]` runs (awaited) before request i. Returns the ids in send order. */
  async function stream(n: number, at: Record<number, () => Promise<unknown>> = {}, paceMs = 15): Promise<{ ids: string[]; image: Map<string, number> }> {
    run++;
    const ids: string[] = [];
    const image = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      if (at[i]) await at[i]();
      const img = images[i % images.length];
      const id = `r${run}-${i}`;
      ids.push(id);
      image.set(id, img.id);
      await producer.send({
        topic: 'edge-in',
        acks: ACKS_ALL,
        messages: [{ key: id, value: encodeTensor(img.pixels, [32, 32, 3], 'uint8'), headers: encodeRequestHeaders({ requestId: id, deviceId: 'it', replyTopic: REPLIES, createdAt: Date.now(), hops: [] }) }],
      });
      await new Promise((r) => setTimeout(r, paceMs));
    }
    const deadline = Date.now() + 30_000;
    while (ids.some((id) => !answers.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return { ids, image };
  }

  const edgeSettings = (id: string) => answers.get(id)!.settings?.find((s) => s.layer === 'edge');

  /** Every answer went where the settings it carries say: the edge when its confidence met that threshold. */
  function misrouted(ids: string[], image: Map<string, number>): string[] {
    return ids.filter((id) => {
      const a = answers.get(id)!;
      const e = expected.get(image.get(id)!)!;
      const s = edgeSettings(id);
      if (!s) return true;
      const atEdge = e.edgeTop >= s.threshold;
      if (a.exitLayer !== (atEdge ? 'edge' : 'cloud')) return true;
      if (atEdge) return a.classIndex !== e.edgeClass;
      return s.features !== 'int8' && a.classIndex !== e.cloudClass; // int8 may move a near tie
    });
  }

  /** Index of the first request from which every later answer carries `threshold` at the edge. */
  const settledFrom = (ids: string[], threshold: number) => {
    let i = ids.length;
    while (i > 0 && edgeSettings(ids[i - 1])?.threshold === threshold) i--;
    return i;
  };

  test('a threshold change loses no request and shows in the answers within a bounded number of requests', async () => {
    const { ids, image } = await stream(120, { 40: () => control('settings/edge', settings({ threshold: t[2], reason: 'test: raise' })) });
    expect(ids.filter((id) => !answers.has(id))).toEqual([]);
    expect(edgeSettings(ids[0])?.threshold).toBe(t[1]);
    // the record is acknowledged before request 40 is sent: applied between batches, within a few requests
    expect(settledFrom(ids, t[2])).toBeLessThanOrEqual(40 + 10);
    expect(misrouted(ids, image)).toEqual([]);
    expect((await workers[1].metrics.threshold.get()).values[0].value).toBe(t[2]);
  });

  test('cut switch under a stream: everything at the edge (threshold 0) and back — 0 lost, 0 misrouted', async () => {
    const { ids, image } = await stream(150, {
      30: () => control('settings/edge', settings({ threshold: 0, reason: 'test: WAN down' })),
      90: () => control('settings/edge', settings({ threshold: t[0], featuresDtype: 'int8', reason: 'test: WAN back' })),
    });
    expect(ids.filter((id) => !answers.has(id))).toEqual([]);
    expect(misrouted(ids, image)).toEqual([]);
    const layers = ids.map((id) => answers.get(id)!.exitLayer);
    // between the switches (after a bounded settling) nothing reached the cloud; after the second, some did again
    expect(layers.slice(40, 90).filter((l) => l !== 'edge')).toEqual([]);
    expect(layers.slice(100).filter((l) => l === 'cloud').length).toBeGreaterThan(0);
    expect(answers.get(ids.slice(100).find((id) => answers.get(id)!.exitLayer === 'cloud')!)!.settings).toEqual([
      { layer: 'edge', threshold: t[0], features: 'int8', batchWaitMs: 0 },
      { layer: 'cloud', threshold: t[1], features: 'float16', batchWaitMs: 0 },
    ]);
    expect(duplicates).toBe(0);
  });

  test('cloud-only switch under a stream: the edge relays raw requests to the whole model and back — 0 lost, answered by the whole model meanwhile', async () => {
    const { ids, image } = await stream(150, {
      30: () => control('settings/edge', settings({ relay: true, reason: 'test: slow edge' })),
      90: () => control('settings/edge', settings({ threshold: t[1], reason: 'test: edge back' })),
    });
    expect(ids.filter((id) => !answers.has(id))).toEqual([]);
    const byWhole = ids.map((id) => answers.get(id)!.modelVersion === wholeVersion);
    expect(byWhole.slice(0, 30).filter(Boolean)).toEqual([]);
    // between the switches (after a bounded settling) the whole model answered all but the canaries (1 in
    // RELAY_CANARY_EVERY keeps the split path, answered as before); after, none
    const canaries = byWhole.slice(40, 90).filter((b) => !b).length;
    expect(canaries).toBeLessThanOrEqual(Math.ceil(50 / RELAY_CANARY_EVERY));
    expect(byWhole.slice(100).filter(Boolean)).toEqual([]);
    expect(misrouted(ids.filter((_, i) => !byWhole[i]), image)).toEqual([]);
    for (const id of ids.filter((_, i) => byWhole[i])) {
      const a = answers.get(id)!;
      expect({ exitLayer: a.exitLayer, classIndex: a.classIndex }).toEqual({ exitLayer: 'cloud', classIndex: expected.get(image.get(id)!)!.cloudClass });
    }
    expect(duplicates).toBe(0);
    expect((await workers[1].metrics.relays.get()).values[0].value).toBeGreaterThanOrEqual(45);
    expect((await workers[1].metrics.relay.get()).values[0].value).toBe(0);
  });

  test('relay asked of a worker without a relay topic: counted and logged as rejected, the rest of the record applies', async () => {
    await control('settings/cloud', settings({ relay: true, batchMaxWaitMs: 1, reason: 'test: wrong layer' }));
    const rejected = async () => (await workers[0].metrics.controlRejected.get()).values.find((v) => v.labels.reason === 'no-relay-topic')?.value ?? 0;
    const deadline = Date.now() + 10_000;
    while ((await rejected()) < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await rejected()).toBe(1);
    expect((await workers[0].metrics.batchWaitSeconds.get()).values[0].value).toBe(0.001);
    expect((await workers[0].metrics.relay.get()).values[0].value).toBe(0);
    await control('settings/cloud', null); // back to the configured settings
  });

  test('bad control records are ignored with a logged reason and a metric; the last good settings stay', async () => {
    const before = (await workers[1].metrics.threshold.get()).values[0].value;
    await control('settings/edge', '{"threshold": 0.5');
    await control('settings/edge', settings({ threshold: 0.5, bogus: 1 }));
    await control('settings/edge', settings({ threshold: 1.5 }));
    await control('settings/*', settings({ featuresDtype: 'bfloat16' }));
    await control('nonsense', '{}');
    const rejected = async (): Promise<Record<string, number>> => Object.fromEntries((await workers[1].metrics.controlRejected.get()).values.map((v) => [v.labels.reason, v.value]));
    const deadline = Date.now() + 10_000;
    const total = async () => Object.values(await rejected()).reduce((n, v) => n + v, 0);
    while ((await total()) < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await rejected()).toEqual({ 'not-json': 1, invalid: 3, 'bad-key': 1 });
    const reasons = logLines.map((l) => JSON.parse(l)).filter((l) => l.event === 'control-rejected').map((l) => l.detail as string);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^not-json: settings\/edge/),
        expect.stringMatching(/Unrecognized key\(s\) in object: 'bogus'/),
        expect.stringMatching(/threshold: Number must be less than or equal to 1/),
        expect.stringMatching(/featuresDtype: Invalid enum value/),
        expect.stringMatching(/^bad-key: key "nonsense"/),
      ]),
    );
    const { ids, image } = await stream(40);
    expect(ids.filter((id) => !answers.has(id))).toEqual([]);
    expect(new Set(ids.map((id) => edgeSettings(id)?.threshold))).toEqual(new Set([before]));
    expect(misrouted(ids, image)).toEqual([]);
  });

  test('the controller process writes its decision; SIGKILLed, the continuum keeps serving on it', async () => {
    // A calibration whose best setting (most early exits within the budget, smallest encoding) is t[0] / int8.
    const cal = path.join(dir, 'calibration.json');
    writeFileSync(
      cal,
      JSON.stringify({
        modelVersion: 'tiny',
        placement: 'edge-cloud',
        accuracyBudget: 0.01,
        finalExitAccuracy: 0.9,
        exits: [{ name: 'edge_exit', forwardBytes: 8 * 8 * 8 * 4 }, { name: 'cloud_exit', forwardBytes: 0 }],
        sweeps: { 'max-softmax': [
          { threshold: 0, answered: [1, 0], overallAccuracy: 0.8 },
          { threshold: t[0], answered: [0.7, 0.3], overallAccuracy: 0.895 },
          { threshold: t[2], answered: [0.3, 0.7], overallAccuracy: 0.9 },
        ] },
      }),
    );
    // start from something else, so the controller has a change to make
    await control('settings/edge', settings({ threshold: t[2], featuresDtype: 'float16' }));
    await control('settings/cloud', null);
    const metrics = (w: WorkerHandle) => `http://127.0.0.1:${w.httpPort}/metrics`;
    const log = path.join(dir, 'controller.log');
    const out = require('node:fs').openSync(log, 'a');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO, 'runtime/controller/main.ts'),
        '--layer', `edge=${cluster.bootstrapServers}@${metrics(workers[1])}`,
        '--layer', `cloud=${cluster.bootstrapServers}@${metrics(workers[0])}`,
        '--calibration', cal, '--threshold', String(t[2]), '--features-dtype', 'float16',
        '--window-ms', '300', '--margin', '0', '--hold-windows', '1', '--min-dwell-ms', '0'],
      { cwd: REPO, stdio: ['ignore', out, out] },
    );
    children.push(child);
    const until = async (what: () => Promise<boolean> | boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!(await what()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    };
    const gauge = async () => (await workers[1].metrics.threshold.get()).values[0].value;
    // the workers' metrics move only with traffic: keep a trickle going while the controller decides
    await until(async () => (await stream(5, {}, 30), (await gauge()) === t[0]), 40_000);
    const text = require('node:fs').readFileSync(log, 'utf8') as string;
    expect(await gauge()).toBe(t[0]);
    expect(text).toMatch(/"event":"controller-change".*lowest predicted p95 within the budget/);

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const { ids, image } = await stream(60);
    expect(ids.filter((id) => !answers.has(id))).toEqual([]);
    expect(ids.map((id) => edgeSettings(id)).every((s) => s?.threshold === t[0] && s.features === 'int8')).toBe(true);
    expect(misrouted(ids, image)).toEqual([]);
  });
});
