import * as tf from '@tensorflow/tfjs';
import { backendFromEnv, selectBackend } from '../../../runtime/tf/backend';

describe('backend selection', () => {
  test('DDNN_BACKEND picks a backend or auto; anything else is an error naming the variable', () => {
    expect(backendFromEnv({})).toBe('auto');
    expect(backendFromEnv({ DDNN_BACKEND: '' })).toBe('auto');
    expect(backendFromEnv({ DDNN_BACKEND: 'wasm' })).toBe('wasm');
    expect(() => backendFromEnv({ DDNN_BACKEND: 'webgpu' })).toThrow(/DDNN_BACKEND=webgpu: must be one of auto, tensorflow, wasm, cpu/);
  });

  test('a forced backend is used, logged, and sticks for the process', async () => {
    const logged: unknown[] = [];
    const logger = { info: (o: unknown) => logged.push(o) } as never;
    const info = await selectBackend('wasm', logger);
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(logged).toEqual([expect.objectContaining({ event: 'tf-backend', backend: 'wasm', preference: 'wasm' })]);
    // the engine is process-wide: asking again returns the same choice, asking for another one fails loudly
    await expect(selectBackend('auto')).resolves.toMatchObject({ name: 'wasm' });
    await expect(selectBackend('cpu')).rejects.toThrow(/already runs tfjs on wasm/);
    expect(tf.sum(tf.tensor([1, 2, 3])).dataSync()[0]).toBe(6);
  });
});
