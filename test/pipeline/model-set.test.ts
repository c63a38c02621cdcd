/** The worker's set of served model versions (runtime/worker/model-set.ts): load while serving, swap, retire safely. */
import pino from 'pino';
import { Registry } from 'prom-client';
import type { SubModelManifest } from '../../contracts/manifest';
import type { SubModel } from '../../runtime/tf/sub-model';
import { ModelSet } from '../../runtime/worker/model-set';

const manifest = (version: string, layer = 'cloud'): SubModelManifest => ({
  formatVersion: 1, model: 'tiny', modelVersion: version, layer, index: 1,
  input: { shape: [2], dtype: 'float32', scale: 1 }, outputs: [{ role: 'exit', name: 'e', classes: 2 }], next: null, modelFile: 'model.json',
});

function fake(version: string, layer?: string) {
  const m = { manifest: manifest(version, layer), disposed: false, predict: async () => [], dispose: () => void (m.disposed = true) };
  return m as SubModel & { disposed: boolean };
}

function setUp(loadable: Record<string, () => SubModel | Promise<SubModel>> = {}) {
  const initial = fake('v1');
  const registry = new Registry();
  const loads: string[] = [];
  const changes: string[][] = [];
  const set: ModelSet = new ModelSet(initial, true, {
    onChange: () => changes.push([set.active.version, ...set.versions()]),
    layer: 'cloud',
    load: async (version, source) => {
      loads.push(`${version}@${source}`);
      const f = loadable[version];
      if (!f) throw new Error(`${source}: not found`);
      return f();
    },
    check: () => undefined,
    log: pino({ level: 'silent' }),
    registry,
  });
  const gauge = async (name: string) => (await registry.getSingleMetric(name)!.get()).values.map((v) => v.labels.version).sort();
  return { set, initial, loads, gauge, changes };
}

const rec = (active: string, serve: string[], sources: Record<string, string> = {}) => ({ active, serve, sources, issuedAt: 1 });

describe('model set', () => {
  test('loads what a record adds while the current version serves, then swaps; gauges follow', async () => {
    const v2 = fake('v2');
    const { set, loads, gauge, changes } = setUp({ v2: () => v2 });
    const applying = set.apply(rec('v1', ['v1', 'v2'], { v2: 'registry:v2' }));
    expect(changes).toEqual([]); // still loading: the screening rules are untouched
    await applying;
    expect(changes).toEqual([['v1', 'v1', 'v2']]); // told in the swap itself
    expect(loads).toEqual(['v2@registry:v2']);
    expect(set.versions()).toEqual(['v1', 'v2']);
    expect(set.active.version).toBe('v1');
    expect(set.get('v2')?.model).toBe(v2);
    expect(await gauge('ddnn_model_loaded')).toEqual(['v1', 'v2']);
    await set.apply(rec('v2', ['v1', 'v2']));
    expect(loads).toHaveLength(1); // already loaded: not again
    expect(await gauge('ddnn_model_active')).toEqual(['v2']);
  });

  test('a failed load changes nothing and names the version; a version without a source is refused', async () => {
    const v2 = fake('v2');
    const { set, gauge } = setUp({ v2: () => v2 });
    await expect(set.apply(rec('v3', ['v2', 'v3'], { v2: 'a', v3: 'b' }))).rejects.toThrow('b: not found');
    expect(v2.disposed).toBe(true); // loaded for the record, released with it
    expect(set.versions()).toEqual(['v1']);
    expect(set.lastError).toBe('b: not found');
    await expect(set.apply(rec('v4', ['v4']))).rejects.toThrow('model version v4 is not loaded on layer cloud and the models record gives no source for it');
    const wrong = setUp({ v5: () => fake('v6') });
    await expect(wrong.set.apply(rec('v5', ['v5'], { v5: 'x' }))).rejects.toThrow('x: holds cloud@v6, not cloud@v5');
    expect(await gauge('ddnn_model_active')).toEqual(['v1']);
  });

  test('a dropped version is disposed once the records routed to it are predicted', async () => {
    const v2 = fake('v2');
    const { set, initial } = setUp({ v2: () => v2 });
    const inFlight = set.get('v1')!;
    set.acquire(inFlight);
    set.acquire(inFlight);
    await set.apply(rec('v2', ['v2'], { v2: 's' }));
    expect(set.get('v1')).toBeUndefined(); // no new record goes to v1
    expect(initial.disposed).toBe(false);
    set.release(inFlight);
    expect(initial.disposed).toBe(false);
    set.release(inFlight);
    expect(initial.disposed).toBe(true);
    // a tombstone keeps what is served
    await set.apply(null);
    expect(set.versions()).toEqual(['v2']);
  });
});
