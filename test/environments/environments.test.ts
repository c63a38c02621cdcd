import {
  EnvironmentSchema,
  InvalidEnvironmentError,
  deviceIds,
  deviceSecretName,
  getEnvironment,
  listEnvironments,
  parseEnvironment,
  planContinuum,
} from '../../environments';
import { paperHa } from '../../environments/paper-ha';
import { paperSimple } from '../../environments/paper-simple';
import { WORKER_DEFAULTS } from '../../contracts/worker-env';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

describe('environments', () => {
  test('lists one environment per experiment', () => {
    expect(listEnvironments()).toEqual([
      'paper-simple',
      'paper-ha-p1',
      'paper-ha-p2',
      'paper-ha-p3',
      'paper-ha-p4',
      'cloud-only',
      'local',
    ]);
  });

  test.each(listEnvironments())('%s parses with defaults filled in', (name) => {
    const env = getEnvironment(name);
    expect(env.name).toBe(name);
    expect(env.namespace).toBe('ddnn');
    for (const layer of env.layers) expect(layer.kafka.storage).toMatch(/Gi$/);
  });

  test('paper-simple mirrors §5.2: one broker, one partition, no replication, edge + cloud', () => {
    const env = getEnvironment('paper-simple');
    expect(env.layers.map((l) => l.name)).toEqual(['edge', 'cloud']);
    for (const l of env.layers) {
      expect(l.kafka.brokers).toBe(1);
      expect(l.topics).toMatchObject({ partitions: 1, replicationFactor: 1 });
      expect(l.worker?.replicas).toBe(1);
    }
    expect(env.coordination).toBe('zookeeper');
    expect(env.threshold).toBe(0.8);
  });

  test.each([1, 2, 3, 4] as const)('paper-ha-p%i has 3 brokers per layer and partitions = worker replicas', (p) => {
    const env = getEnvironment(`paper-ha-p${p}`);
    for (const l of env.layers) {
      expect(l.kafka.brokers).toBe(3);
      expect(l.topics.partitions).toBe(p);
      expect(l.worker?.replicas).toBe(p);
    }
    expect(env.devices.count).toBe(5);
  });

  test('devices: named by ids (count follows) or counted (ids device-0…), with the Secret of their SCRAM passwords', () => {
    const named = parseEnvironment({ ...paperSimple, devices: { ids: ['cam-a', 'cam-b'], secretName: 'site-devices' } });
    expect(named.devices.count).toBe(2);
    expect(deviceIds(named)).toEqual(['cam-a', 'cam-b']);
    expect(deviceSecretName(named)).toBe('site-devices');
    const counted = getEnvironment('paper-ha-p2');
    expect(deviceIds(counted)).toEqual(['device-0', 'device-1', 'device-2', 'device-3', 'device-4']);
    expect(deviceSecretName(counted)).toBe('kafka-device-credentials');
    expect(parseEnvironment({ ...paperSimple, devices: undefined }).devices.count).toBe(1);
  });

  test('cloud-only runs the whole model in one cloud layer', () => {
    const env = getEnvironment('cloud-only');
    expect(env.layers).toHaveLength(1);
    expect(env.layers[0]).toMatchObject({ name: 'cloud', worker: { subModel: 'cloud' } });
  });

  test('unknown names are refused with the known list', () => {
    expect(() => getEnvironment('nope')).toThrow(/unknown environment "nope"; known: paper-simple/);
  });

  describe('invalid combinations name the field', () => {
    const expectInvalid = (input: unknown, path: string, message: RegExp) => {
      let error: unknown;
      try {
        parseEnvironment(input);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidEnvironmentError);
      const issue = (error as InvalidEnvironmentError).issues.find((i) => i.path.join('.') === path);
      expect(issue?.message).toMatch(message);
      expect((error as Error).message).toContain(path);
    };

    test('worker replicas > partitions', () => {
      const env = clone(paperHa(2));
      env.layers[1].worker!.replicas = 3;
      expectInvalid(env, 'layers.1.worker.replicas', /worker.replicas \(3\) must be ≤ topics.partitions \(2\)/);
    });

    test('replication factor > brokers', () => {
      const env = clone(paperSimple);
      env.layers[0].topics.replicationFactor = 2;
      expectInvalid(env, 'layers.0.topics.replicationFactor', /replicationFactor \(2\) must be ≤ kafka.brokers \(1\)/);
    });

    test('Strimzi engine with ZooKeeper coordination (Strimzi is KRaft-only)', () => {
      const env = clone(paperHa(1));
      env.layers[0].kafka.engine = 'strimzi';
      expectInvalid(env, 'layers.0.kafka.engine', /engine "strimzi" needs coordination "kraft".*not "zookeeper"/);
    });

    test('min.insync.replicas > replication factor', () => {
      const env = clone(paperHa(1));
      env.layers[0].topics.minInSyncReplicas = 4;
      expectInvalid(env, 'layers.0.topics.minInSyncReplicas', /minInSyncReplicas \(4\) must be ≤ replicationFactor \(3\)/);
    });

    test('even quorum', () => {
      const env = clone(paperHa(1));
      env.layers[0].kafka.quorum = 2;
      expectInvalid(env, 'layers.0.kafka.quorum', /must be odd/);
    });

    test('devices: ids that are not SCRAM user names, used twice, or disagreeing with count', () => {
      expectInvalid({ ...clone(paperSimple), devices: { ids: ['ok', 'bad.id'] } }, 'devices.ids.1', /must be 1–64 of \[A-Za-z0-9_-\]/);
      expectInvalid({ ...clone(paperSimple), devices: { ids: ['cam-1', 'cam-1'] } }, 'devices.ids.1', /device id "cam-1" is used twice/);
      expectInvalid({ ...clone(paperSimple), devices: { count: 3, ids: ['cam-1', 'cam-2'] } }, 'devices.count', /count \(3\) must equal the number of ids \(2\)/);
      expectInvalid({ ...clone(paperSimple), devices: { count: 1, secretName: 'Not_A_Name' } }, 'devices.secretName', /DNS label/);
    });

    test('unpinned worker image', () => {
      const env = clone(paperSimple);
      env.workerImage = { repository: 'x/worker', tag: 'latest' };
      expectInvalid(env, 'workerImage.tag', /pinned/);
    });

    test('GKE layer without cloud settings', () => {
      const env = clone(paperSimple);
      delete env.cloud;
      expectInvalid(env, 'cloud', /runs on GKE/);
    });

    test('threshold out of range', () => {
      const env = clone(paperSimple);
      env.threshold = 1.5;
      expectInvalid(env, 'threshold', /less than or equal to 1/);
    });

    test('federation host that is not a layer', () => {
      const env = clone(paperSimple);
      env.federation = { engine: 'kubefed', hostLayer: 'fog' };
      expectInvalid(env, 'federation.hostLayer', /"fog" is not a layer/);
    });

    test('a federated GKE layer without its API endpoint', () => {
      const env = clone(paperSimple);
      delete (env.layers[1].cluster as { apiEndpoint?: string }).apiEndpoint;
      expectInvalid(env, 'layers.1.cluster.apiEndpoint', /federation.engine "kubefed" needs the API endpoint of GKE layer "cloud"/);
    });

    test('local clusters cannot be federated', () => {
      const env = clone(getEnvironment('local')) as unknown as Record<string, unknown>;
      env.federation = { engine: 'karmada' };
      expectInvalid(env, 'federation.engine', /local clusters cannot be federated/);
    });

    test('a worker replica count beyond 64', () => {
      const env = clone(paperHa(4));
      env.layers[0].worker!.replicas = 65;
      expectInvalid(env, 'layers.0.worker.replicas', /less than or equal to 64/);
    });

    test('duplicate layer names', () => {
      const env = clone(paperSimple);
      env.layers[1].name = 'edge';
      expectInvalid(env, 'layers.1.name', /used twice/);
    });
  });

  test('the schema is exported for other tools', () => {
    expect(EnvironmentSchema.safeParse({}).success).toBe(false);
  });
});

describe('planContinuum', () => {
  test('direct transport: the edge worker forwards to the cloud cluster and the cloud answers on the edge cluster', () => {
    const plan = planContinuum(getEnvironment('paper-simple'));
    expect(plan.mirrors).toEqual([]);
    expect(plan.requestLayer).toBe('edge');
    const [edge, cloud] = plan.layers;
    expect(edge.worker).toMatchObject({
      input: { layer: 'edge', topic: 'ddnn.edge.requests' },
      next: { layer: 'cloud', topic: 'ddnn.cloud.requests' },
      replyLayer: 'edge',
    });
    expect(cloud.worker).toMatchObject({ next: undefined, replyLayer: 'edge', replyTopic: 'ddnn.replies' });
    expect(edge.topics.map((t) => t.name).sort()).toEqual(['ddnn.edge.dead-letter', 'ddnn.edge.requests', 'ddnn.replies']);
    expect(cloud.topics.map((t) => t.name).sort()).toEqual(['ddnn.cloud.dead-letter', 'ddnn.cloud.requests']);
  });

  test('mirrored transport: distinct topics per direction, each copied by an MM2 next to its target', () => {
    const plan = planContinuum(getEnvironment('paper-ha-p3'));
    expect(plan.mirrors).toEqual([
      { source: 'edge', target: 'cloud', topics: ['ddnn.cloud.requests'] },
      { source: 'cloud', target: 'edge', topics: ['ddnn.replies'] },
    ]);
    const [edge, cloud] = plan.layers;
    expect(edge.mirrorsIn.map((f) => f.source)).toEqual(['cloud']);
    expect(cloud.mirrorsIn.map((f) => f.source)).toEqual(['edge']);
    expect(edge.worker?.next).toEqual({ layer: 'edge', topic: 'ddnn.cloud.requests' });
    expect(cloud.worker?.replyLayer).toBe('cloud');
    // The upstream copy of the cloud's requests keeps the cloud's partition count; replication follows its host.
    const copy = edge.topics.find((t) => t.name === 'ddnn.cloud.requests')!;
    expect(copy).toMatchObject({ partitions: 3, replicationFactor: 3, minInSyncReplicas: 2 });
  });

  test('three layers, mirrored: features climb one hop at a time, every upper layer answers into the entry cluster', () => {
    const base = paperHa(2);
    const [edge, cloud] = base.layers;
    const fog = { ...edge, name: 'fog', worker: { ...edge.worker!, subModel: 'fog' } };
    const plan = planContinuum(parseEnvironment({ ...base, layers: [edge, fog, cloud] }));
    expect(plan.mirrors).toEqual([
      { source: 'edge', target: 'fog', topics: ['ddnn.fog.requests'] },
      { source: 'fog', target: 'edge', topics: ['ddnn.replies'] },
      { source: 'fog', target: 'cloud', topics: ['ddnn.cloud.requests'] },
      { source: 'cloud', target: 'edge', topics: ['ddnn.replies'] },
    ]);
    expect(plan.layers[1].worker).toMatchObject({ input: { layer: 'fog', topic: 'ddnn.fog.requests' }, next: { layer: 'fog', topic: 'ddnn.cloud.requests' } });
    expect(plan.layers[0].mirrorsIn.map((f) => f.source)).toEqual(['fog', 'cloud']);
  });
});

describe('defaults shared with the worker', () => {
  test("a worker's batching defaults to the worker's own (WORKER_DEFAULTS): 16 samples, 0 ms wait", () => {
    for (const name of listEnvironments())
      for (const l of getEnvironment(name).layers)
        if (l.worker) expect([name, l.worker.batch]).toEqual([name, { maxSize: WORKER_DEFAULTS.batchMaxSize, maxDelayMs: WORKER_DEFAULTS.batchMaxWaitMs }]);
  });

  test("Kafka runs as StatefulSets unless a layer asks for Strimzi", () => {
    for (const name of listEnvironments()) for (const l of getEnvironment(name).layers) expect(l.kafka.engine).toBe('statefulset');
  });
});
