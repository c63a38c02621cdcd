import { getEnvironment } from '../../environments';
import { cloudOnlyEnvironment, PLACEMENT, WHOLE_MODEL_WORKER, wireRun } from '../../runtime/continuum/wiring';

const addresses = {
  edge: { local: '127.0.0.1:1001', wan: '127.0.0.1:2001' },
  cloud: { local: '127.0.0.1:1002', wan: '127.0.0.1:2002' },
};
const env = getEnvironment('local');
const base = { env, addresses, modelDir: '/m', devices: 2, threshold: 0.8 };

describe('wireRun, direct transport', () => {
  const w = wireRun({ ...base, transport: 'direct', runName: 'direct' });
  const edge = w.workers.filter((x) => x.layer === 'edge');
  const cloud = w.workers.filter((x) => x.layer === 'cloud');

  it('starts as many workers per layer as the environment has replicas', () => {
    expect(edge).toHaveLength(env.layers[0].worker!.replicas);
    expect(cloud).toHaveLength(env.layers[1].worker!.replicas);
    expect(new Set(w.workers.map((x) => x.name)).size).toBe(w.workers.length);
  });

  it('sends features and answers across the WAN address of the other cluster', () => {
    expect(edge[0].config).toMatchObject({ brokers: addresses.edge.local, nextBrokers: addresses.cloud.wan, answerBrokers: addresses.edge.local });
    expect(cloud[0].config).toMatchObject({ brokers: addresses.cloud.local, answerBrokers: addresses.edge.wan, threshold: 0.8 });
    expect(cloud[0].config.nextTopic).toBeUndefined();
    expect(edge[0].config.nextTopic).toBe(cloud[0].config.inputTopic);
    expect(edge[0].config.model).toBe(`/m/${PLACEMENT.earlyExit}/edge`);
  });

  it('has devices at the edge with one reply topic each, created on the edge cluster only', () => {
    expect(w.devices).toMatchObject({ at: 'edge', requestBrokers: addresses.edge.local, replyBrokers: addresses.edge.local });
    expect(w.devices.replyTopics).toEqual(['ddnn-direct.replies.device-0', 'ddnn-direct.replies.device-1']);
    const names = (layer: string) => w.topics[layer].map((t) => t.name);
    expect(names('edge')).toEqual(expect.arrayContaining([...w.devices.replyTopics, w.devices.requestTopic]));
    expect(names('cloud')).not.toContain(w.devices.replyTopics[0]);
    expect(w.mirrors).toEqual([]);
  });
});

describe('wireRun with a standby whole-model worker (the controller\'s cloud-only placement)', () => {
  const w = wireRun({ ...base, transport: 'direct', runName: 'whole', wholeModelStandby: true });
  const whole = w.workers.find((x) => x.name === WHOLE_MODEL_WORKER)!;

  it('runs the cloud-only sub-model beside the last layer, on a topic of its own there, answering across the WAN', () => {
    expect(whole.layer).toBe('cloud');
    expect(whole.config).toMatchObject({ model: `/m/${PLACEMENT.cloudOnly}/cloud`, brokers: addresses.cloud.local, answerBrokers: addresses.edge.wan, controlTopic: 'off' });
    expect(whole.config.nextTopic).toBeUndefined();
    const cloudTopics = w.topics.cloud.map((t) => t.name);
    expect(cloudTopics).toEqual(expect.arrayContaining([whole.config.inputTopic, whole.config.dlqTopic]));
    expect(w.topics.edge.map((t) => t.name)).not.toContain(whole.config.inputTopic);
  });

  it('tells every entry worker, and only those, where to relay', () => {
    for (const x of w.workers.filter((x) => x.layer === 'edge')) expect(x.config).toMatchObject({ relayTopic: whole.config.inputTopic, relayBrokers: addresses.cloud.wan });
    for (const x of w.workers.filter((x) => x.layer === 'cloud')) expect(x.config.relayTopic).toBeUndefined();
  });

  it('is refused with the mirrored transport', () => {
    expect(() => wireRun({ ...base, transport: 'mirrored', runName: 'whole', wholeModelStandby: true })).toThrow(/direct transport/);
  });
});

describe('wireRun, mirrored transport', () => {
  const w = wireRun({ ...base, transport: 'mirrored', runName: 'mirrored' });
  const cloud = w.workers.find((x) => x.layer === 'cloud')!;
  const edge = w.workers.find((x) => x.layer === 'edge')!;

  it('keeps every worker on its own cluster', () => {
    expect(edge.config).toMatchObject({ brokers: addresses.edge.local, nextBrokers: addresses.edge.local, answerBrokers: addresses.edge.local });
    expect(cloud.config).toMatchObject({ brokers: addresses.cloud.local, answerBrokers: addresses.cloud.local });
  });

  it('mirrors features up and each device\'s reply topic down', () => {
    expect(w.mirrors).toEqual([
      { source: 'edge', target: 'cloud', topics: [cloud.config.inputTopic] },
      { source: 'cloud', target: 'edge', topics: w.devices.replyTopics },
    ]);
    expect(w.topics.cloud.map((t) => t.name)).toEqual(expect.arrayContaining(w.devices.replyTopics));
    expect(w.topics.edge.map((t) => t.name)).toContain(cloud.config.inputTopic);
  });
});

describe('cloud-only baseline', () => {
  const w = wireRun({ ...base, env: cloudOnlyEnvironment(env), transport: 'direct', runName: 'cloud-only', devicesAt: 'edge', placement: PLACEMENT.cloudOnly });

  it('runs the whole model in the cloud, reached by the devices over the WAN', () => {
    expect(w.layers).toEqual(['cloud']);
    expect(w.workers.every((x) => x.layer === 'cloud' && x.config.nextTopic === undefined)).toBe(true);
    expect(w.workers[0].config.model).toBe(`/m/${PLACEMENT.cloudOnly}/cloud`);
    expect(w.devices).toMatchObject({ at: 'edge', requestBrokers: addresses.cloud.wan, replyBrokers: addresses.cloud.wan });
    expect(w.workers[0].config.answerBrokers).toBe(addresses.cloud.local);
    expect(Object.keys(w.topics)).toEqual(['cloud']);
  });
});
