import type { SubModelManifest } from '../../../models/manifest';
import { checkConfigAgainstManifest, ConfigError, parseWorkerConfig, remoteSecurity, workerConfigFromEnv } from '../../../runtime/worker/config';

const minimal = { model: './models/edge', brokers: '127.0.0.1:9092', inputTopic: 'ddnn.edge.in' };

function problems(input: Record<string, unknown>): string[] {
  try {
    parseWorkerConfig(input);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('worker config', () => {
  test('fills safe defaults from the minimum', () => {
    const c = parseWorkerConfig(minimal);
    expect(c).toMatchObject({
      brokers: ['127.0.0.1:9092'],
      groupId: 'ddnn-worker.ddnn.edge.in',
      nextBrokers: ['127.0.0.1:9092'],
      answerBrokers: ['127.0.0.1:9092'],
      dlqTopic: 'ddnn.edge.in.dlq',
      threshold: 0.8,
      exitCriterion: 'max-prob',
      batchMaxSize: 16,
      batchMaxWaitMs: 0,
      featuresDtype: 'float16',
      backend: 'auto',
      httpPort: 8080,
    });
    expect(c.answerTopic).toBeUndefined();
    expect(new RegExp(c.replyTopicPattern).test('ddnn.replies.dev-1')).toBe(true);
  });

  test('reads DDNN_* env vars, coercing numbers and splitting broker lists', () => {
    const env = {
      DDNN_MODEL: 'https://models.example/edge/',
      DDNN_BROKERS: '10.0.0.1:9092, 10.0.0.2:9092',
      DDNN_NEXT_BROKERS: 'cloud-kafka-0.cloud:9092',
      DDNN_INPUT_TOPIC: 'edge-in',
      DDNN_NEXT_TOPIC: 'cloud-in',
      DDNN_THRESHOLD: '0.65',
      DDNN_BATCH_MAX_SIZE: '32',
      DDNN_HTTP_PORT: '',
      HOME: '/root',
    };
    const c = parseWorkerConfig(workerConfigFromEnv(env));
    expect(c.brokers).toEqual(['10.0.0.1:9092', '10.0.0.2:9092']);
    expect(c.nextBrokers).toEqual(['cloud-kafka-0.cloud:9092']);
    expect(c.answerBrokers).toEqual(c.brokers);
    expect(c.threshold).toBe(0.65);
    expect(c.batchMaxSize).toBe(32);
    expect(c.httpPort).toBe(8080);
  });

  test.each([
    [{ ...minimal, threshold: '1.5' }, 'threshold (DDNN_THRESHOLD)'],
    [{ ...minimal, threshold: 'high' }, 'threshold (DDNN_THRESHOLD)'],
    [{ ...minimal, brokers: 'localhost' }, 'brokers (DDNN_BROKERS)'],
    [{ ...minimal, brokers: ' , ' }, 'brokers (DDNN_BROKERS)'],
    [{ ...minimal, inputTopic: 'has space' }, 'inputTopic (DDNN_INPUT_TOPIC)'],
    [{ ...minimal, batchMaxSize: 0 }, 'batchMaxSize (DDNN_BATCH_MAX_SIZE)'],
    [{ ...minimal, batchMaxSize: '2.5' }, 'batchMaxSize (DDNN_BATCH_MAX_SIZE)'],
    [{ ...minimal, exitCriterion: 'softmax' }, 'exitCriterion (DDNN_EXIT_CRITERION)'],
    [{ ...minimal, backend: 'webgl' }, 'backend (DDNN_BACKEND)'],
    [{ ...minimal, replyTopicPattern: '([' }, 'replyTopicPattern (DDNN_REPLY_TOPIC_PATTERN)'],
    [{ ...minimal, featuresDtype: 'bfloat16' }, 'featuresDtype (DDNN_FEATURES_DTYPE)'],
    [{ brokers: '127.0.0.1:9092', inputTopic: 'x' }, 'model (DDNN_MODEL)'],
  ])('names the bad field: %j', (input, field) => {
    const found = problems(input);
    expect(found).toHaveLength(1);
    expect(found[0].startsWith(`${field}:`)).toBe(true);
  });

  test('reports every bad field at once, and unknown fields (typos) too', () => {
    const found = problems({ model: '', brokers: 'x', inputTopic: 't', treshold: 0.5 });
    expect(found.join('\n')).toMatch(/model \(DDNN_MODEL\)/);
    expect(found.join('\n')).toMatch(/brokers \(DDNN_BROKERS\)/);
    expect(found.join('\n')).toMatch(/unknown field\(s\): treshold/);
  });

  describe('security for the remote cluster (the env vars the InferenceLayer construct sets)', () => {
    const env = {
      DDNN_MODEL: 'm',
      DDNN_BROKERS: 'edge-kafka:9092',
      DDNN_INPUT_TOPIC: 'edge-in',
      DDNN_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      DDNN_KAFKA_SASL_USERNAME: 'edge-worker',
      DDNN_KAFKA_SASL_PASSWORD: 's3cret',
      DDNN_KAFKA_TLS_CA_FILE: '/etc/kafka-ca/ca.crt',
    };

    test('SASL credentials and the CA file are read once at start', () => {
      const c = parseWorkerConfig(workerConfigFromEnv(env));
      const sec = remoteSecurity(c, (f) => `PEM of ${f}`);
      expect(sec).toEqual({ sasl: { mechanism: 'scram-sha-512', username: 'edge-worker', password: 's3cret' }, caPem: 'PEM of /etc/kafka-ca/ca.crt' });
      expect(remoteSecurity(parseWorkerConfig(minimal), () => '')).toBeNull();
    });

    test('the mechanism defaults to plain; an unreadable CA file is a config error naming the env var', () => {
      const c = parseWorkerConfig(workerConfigFromEnv({ ...env, DDNN_KAFKA_SASL_MECHANISM: undefined }));
      expect(remoteSecurity(c, () => 'x')!.sasl!.mechanism).toBe('plain');
      expect(() =>
        remoteSecurity(c, () => {
          throw new Error('ENOENT');
        }),
      ).toThrow(/kafkaTlsCaFile \(DDNN_KAFKA_TLS_CA_FILE\): cannot read \/etc\/kafka-ca\/ca.crt: ENOENT/);
    });

    test('half a credential fails fast', () => {
      expect(problems({ ...minimal, kafkaSaslUsername: 'u' })).toEqual(['kafkaSaslPassword (DDNN_KAFKA_SASL_PASSWORD): required together with the other SASL credential']);
      expect(problems({ ...minimal, kafkaSaslMechanism: 'plain' })).toEqual(['kafkaSaslUsername (DDNN_KAFKA_SASL_USERNAME): required when kafkaSaslMechanism is set']);
      expect(problems({ ...minimal, kafkaSaslMechanism: 'gssapi', kafkaSaslUsername: 'u', kafkaSaslPassword: 'p' })[0]).toMatch(/^kafkaSaslMechanism \(DDNN_KAFKA_SASL_MECHANISM\)/);
    });
  });

  describe('against the sub-model manifest', () => {
    const edge: SubModelManifest = {
      formatVersion: 1,
      model: 'tiny',
      modelVersion: 'v1',
      layer: 'edge',
      index: 0,
      input: { shape: [8, 8, 3], dtype: 'uint8', scale: 1 / 255 },
      outputs: [
        { role: 'features', name: 'f', shape: [4, 4, 4] },
        { role: 'exit', name: 'e', classes: 10 },
      ],
      next: 'cloud',
      modelFile: 'model.json',
    };
    const cloud: SubModelManifest = { ...edge, layer: 'cloud', index: 1, outputs: [{ role: 'exit', name: 'e', classes: 10 }], next: null };

    test('a forwarding sub-model needs a next topic', () => {
      expect(() => checkConfigAgainstManifest(parseWorkerConfig(minimal), edge)).toThrow(/nextTopic \(DDNN_NEXT_TOPIC\): required/);
      expect(() => checkConfigAgainstManifest(parseWorkerConfig({ ...minimal, nextTopic: 'cloud-in' }), edge)).not.toThrow();
    });

    test('the last layer must not be given a next topic', () => {
      expect(() => checkConfigAgainstManifest(parseWorkerConfig({ ...minimal, nextTopic: 'x' }), cloud)).toThrow(/last layer/);
      expect(() => checkConfigAgainstManifest(parseWorkerConfig(minimal), cloud)).not.toThrow();
    });
  });
});
