import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../runtime/tf/backend';
import { loadSubModel } from '../../../runtime/tf/sub-model';
import { syntheticImages, TINY_CLASSES, writeTinyPartitionedModel } from '../fixtures/tiny-model';

describe('sub-model loading and predict', () => {
  let dir: string;
  let paths: { edge: string; cloud: string };
  beforeAll(async () => {
    await selectBackend('cpu');
    dir = mkdtempSync(path.join(tmpdir(), 'ddnn-submodel-'));
    paths = await writeTinyPartitionedModel(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('loads from a folder path and splits outputs by manifest role', async () => {
    const edge = await loadSubModel(paths.edge);
    const cloud = await loadSubModel(paths.cloud);
    const images = syntheticImages(6);
    const out = await edge.predict(images.map((i) => i.pixels));
    expect(out).toHaveLength(6);
    for (const o of out) {
      expect(o.features).toHaveLength(8 * 8 * 8);
      expect(o.exit).toHaveLength(TINY_CLASSES);
      expect(o.exit!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    // the exits are not all equally confident: a threshold can split them between layers
    const tops = out.map((o) => Math.max(...o.exit!));
    expect(Math.max(...tops) - Math.min(...tops)).toBeGreaterThan(0.1);
    const answers = await cloud.predict(out.map((o) => o.features!));
    expect(answers.every((a) => a.exit!.length === TINY_CLASSES && a.features === undefined)).toBe(true);
    edge.dispose();
    cloud.dispose();
  });

  test('applies the manifest input scale: batched predict equals a hand-scaled tfjs predict', async () => {
    const edge = await loadSubModel(paths.edge);
    const images = syntheticImages(3, 9);
    const out = await edge.predict(images.map((i) => i.pixels));
    const raw = await tf.loadLayersModel({
      load: async () => {
        const json = JSON.parse(await fs.readFile(path.join(paths.edge, 'model.json'), 'utf8'));
        const weights = await fs.readFile(path.join(paths.edge, 'weights.bin'));
        return { modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(weights).buffer };
      },
    });
    const x = tf.tensor(Float32Array.from(images[1].pixels, (v) => v / 255), [1, 32, 32, 3]);
    const [, exit] = raw.predict(x) as tf.Tensor[];
    const expected = await exit.data();
    expect(Array.from(out[1].exit!).map((v) => v.toFixed(5))).toEqual(Array.from(expected).map((v) => v.toFixed(5)));
  });

  test('loads the same folder over http', async () => {
    const server = http.createServer(async (req, res) => {
      try {
        res.end(await fs.readFile(path.join(paths.cloud, req.url!.replace(/^\/cloud\//, ''))));
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const cloud = await loadSubModel(`http://127.0.0.1:${port}/cloud`);
      expect(cloud.manifest.layer).toBe('cloud');
      const out = await cloud.predict([new Float32Array(8 * 8 * 8).fill(0.5)]);
      expect(out[0].exit).toHaveLength(TINY_CLASSES);
      await expect(loadSubModel(`http://127.0.0.1:${port}/missing`)).rejects.toThrow(/HTTP 404/);
    } finally {
      server.close();
    }
  });

  test('an invalid manifest fails with the field path', async () => {
    const bad = path.join(dir, 'bad');
    await fs.mkdir(bad, { recursive: true });
    writeFileSync(path.join(bad, 'manifest.json'), JSON.stringify({ formatVersion: 1, model: 'x' }));
    await expect(loadSubModel(bad)).rejects.toThrow(/modelVersion/);
  });
});
