import { WORKER_DEFAULTS, WORKER_ENV } from '../../contracts/worker-env';
import { WORKER_ENV as WORKER_READS, parseWorkerConfig, workerConfigFromEnv } from '../../runtime/worker/config';

describe('the worker env-var contract', () => {
  test('the worker reads every variable of the contract, under the same field', () => {
    for (const [field, name] of Object.entries(WORKER_ENV)) {
      expect([field, (WORKER_READS as Record<string, string>)[field]]).toEqual([field, name]);
    }
  });

  test("the contract's defaults are the worker's", () => {
    const c = parseWorkerConfig(workerConfigFromEnv({ DDNN_MODEL: '/m', DDNN_BROKERS: 'k:9092', DDNN_INPUT_TOPIC: 't' }));
    expect({ threshold: c.threshold, batchMaxSize: c.batchMaxSize, batchMaxWaitMs: c.batchMaxWaitMs, httpPort: c.httpPort }).toEqual(WORKER_DEFAULTS);
  });
});
