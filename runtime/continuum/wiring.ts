/**
 * How one run is wired on this machine (pure): from an environment, a transport and the local clusters' addresses
 * to the topics each cluster needs, the MirrorMaker 2 flows, each worker's configuration and where devices send
 * and read. Every cross-layer connection goes through the WAN address of the cluster it reaches, so the emulated
 * link sees (and delays) exactly the traffic a real WAN would.
 */
import * as path from 'node:path';
import { planContinuum, type Environment, type Transport } from '../../environments';
import type { TopicSpec as KafkaTopicSpec } from '../kafka/topics';

/** Where a cluster is reached from its own layer (`local`) and from any other layer (`wan`). */
export interface ClusterAddress {
  readonly local: string;
  readonly wan: string;
}

export type Addresses = Readonly<Record<string, ClusterAddress>>;

/** The placements of the shipped partitioned model (models/): one folder each, one sub-folder per layer. */
export const PLACEMENT = { earlyExit: 'edge-cloud', cloudOnly: 'cloud-only' } as const;

export interface WorkerLaunch {
  /** e.g. `edge-1`: names its log file and its process. */
  readonly name: string;
  readonly layer: string;
  /** Worker configuration (runtime/worker config fields). */
  readonly config: {
    readonly model: string;
    readonly brokers: string;
    readonly inputTopic: string;
    readonly groupId: string;
    readonly nextTopic?: string;
    readonly nextBrokers?: string;
    readonly relayTopic?: string;
    readonly relayBrokers?: string;
    readonly controlTopic?: string;
    readonly answerBrokers: string;
    readonly dlqTopic: string;
    readonly threshold: number;
    readonly exitCriterion: 'max-prob' | 'entropy';
    readonly batchMaxSize: number;
    readonly batchMaxWaitMs: number;
    readonly featuresDtype?: 'float32' | 'float16' | 'int8';
  };
}

export interface MirrorLaunch {
  readonly source: string;
  readonly target: string;
  readonly topics: readonly string[];
}

export interface DeviceWiring {
  /** The layer the devices live in (the entry layer of the early-exit continuum: the edge). */
  readonly at: string;
  readonly requestBrokers: string;
  readonly requestTopic: string;
  /** Cluster the devices read their answers from. */
  readonly replyBrokers: string;
  /** Device i (0-based, id `device-i`) reads its answers from `<replyTopicPrefix>.device-i`. */
  readonly replyTopicPrefix: string;
  /** Reply topic of each device (one per device, so a device never reads another's answers). */
  readonly replyTopics: readonly string[];
}

export interface RunWiring {
  readonly name: string;
  readonly layers: readonly string[];
  readonly topics: Readonly<Record<string, readonly KafkaTopicSpec[]>>;
  readonly mirrors: readonly MirrorLaunch[];
  readonly workers: readonly WorkerLaunch[];
  readonly devices: DeviceWiring;
}

export interface WiringInput {
  readonly env: Environment;
  /** Overrides env.transport for this run. */
  readonly transport: Transport;
  readonly addresses: Addresses;
  /** Root of the partitioned model: `<modelDir>/<placement>/<subModel>`. */
  readonly modelDir: string;
  readonly devices: number;
  readonly threshold: number;
  /** encoding of forwarded feature maps; the worker's default (float16) when absent */
  readonly featuresDtype?: 'float32' | 'float16' | 'int8';
  /** Unique per run, so runs on the same clusters never share a topic. */
  readonly runName: string;
  /** Where the devices live; defaults to the environment's entry layer. */
  readonly devicesAt?: string;
  readonly placement?: string;
  /**
   * A standby worker with the whole model (the cloud-only placement's sub-model) beside the last layer, on a topic
   * of its own there, and the entry layer's workers told to relay raw requests to it when the control topic says
   * `relay`: the controller's cloud-only placement. Direct transport only (the relay crosses the WAN itself).
   */
  readonly wholeModelStandby?: boolean;
}

/** Name of the standby whole-model worker (a `WorkerLaunch.name`). */
export const WHOLE_MODEL_WORKER = 'whole-model-1';

const reach = (addresses: Addresses, from: string, to: string): string => {
  const a = addresses[to];
  if (!a) throw new Error(`no local cluster for layer "${to}" (have: ${Object.keys(addresses).join(', ')})`);
  return from === to ? a.local : a.wan;
};

export function wireRun(input: WiringInput): RunWiring {
  const prefix = `${input.env.topics.prefix}-${input.runName}`;
  const env: Environment = { ...input.env, transport: input.transport, topics: { ...input.env.topics, prefix } };
  const plan = planContinuum(env);
  const at = input.devicesAt ?? plan.entryLayer;
  const placement = input.placement ?? PLACEMENT.earlyExit;
  const replyTopicPrefix = `${prefix}.replies`;
  const replyTopics = Array.from({ length: input.devices }, (_, i) => `${replyTopicPrefix}.device-${i}`);
  const mirrored = input.transport === 'mirrored';

  const topics: Record<string, KafkaTopicSpec[]> = {};
  for (const lp of plan.layers) {
    // The plan's shared replies topic is replaced by one reply topic per device (same settings).
    const replies = lp.topics.find((t) => t.purpose === 'replies');
    const own = lp.topics.filter((t) => t.purpose !== 'replies');
    topics[lp.layer.name] = [
      ...own.map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, minInsyncReplicas: t.minInSyncReplicas, configs: { 'retention.ms': String(t.retentionMs) } })),
      ...(replies
        ? replyTopics.map((name) => ({ name, partitions: 1, replicationFactor: replies.replicationFactor, minInsyncReplicas: replies.minInSyncReplicas, configs: { 'retention.ms': String(replies.retentionMs) } }))
        : []),
    ];
  }

  const mirrors: MirrorLaunch[] = plan.mirrors.map((m) => ({
    source: m.source,
    target: m.target,
    topics: m.topics.flatMap((t) => (t === plan.replyTopic ? replyTopics : [t])),
  }));

  const workers: WorkerLaunch[] = plan.layers.flatMap((lp) => {
    const w = lp.worker;
    const spec = lp.layer.worker;
    if (!w || !spec) return [];
    const layer = lp.layer.name;
    return Array.from({ length: spec.replicas }, (_, i) => ({
      name: `${layer}-${i + 1}`,
      layer,
      config: {
        model: path.join(input.modelDir, placement, w.subModel),
        brokers: reach(input.addresses, layer, w.input.layer),
        inputTopic: w.input.topic,
        groupId: w.groupId,
        ...(w.next ? { nextTopic: w.next.topic, nextBrokers: reach(input.addresses, layer, w.next.layer) } : {}),
        // Answers go to the reply topic each request names; the cluster depends on the transport.
        answerBrokers: reach(input.addresses, layer, mirrored ? layer : plan.entryLayer),
        dlqTopic: w.deadLetter.topic,
        threshold: input.threshold,
        exitCriterion: env.exitCriterion,
        batchMaxSize: spec.batch.maxSize,
        batchMaxWaitMs: spec.batch.maxDelayMs,
        ...(input.featuresDtype ? { featuresDtype: input.featuresDtype } : {}),
      },
    }));
  });

  if (input.wholeModelStandby) {
    if (mirrored) throw new Error('wholeModelStandby: only with the direct transport (the relay crosses the WAN itself)');
    const lastPlan = plan.layers[plan.layers.length - 1];
    const last = lastPlan.layer.name;
    const wholeTopic = `${prefix}.whole-model.in`;
    const wholePlan = planContinuum({ ...cloudOnlyEnvironment(env), topics: env.topics }).layers[0];
    const lastIn = topics[last].find((t) => t.name === lastPlan.worker?.input.topic);
    topics[last] = [...topics[last], { ...(lastIn ?? { partitions: 1 }), name: wholeTopic }, { ...(lastIn ?? {}), partitions: 1, name: `${wholeTopic}.dlq` }];
    const template = workers.find((w) => w.layer === last);
    if (!template || !wholePlan.worker) throw new Error(`wholeModelStandby: the last layer "${last}" runs no worker`);
    for (let i = 0; i < workers.length; i++) {
      if (workers[i].layer !== plan.entryLayer) continue;
      workers[i] = { ...workers[i], config: { ...workers[i].config, relayTopic: wholeTopic, relayBrokers: reach(input.addresses, plan.entryLayer, last) } };
    }
    const { nextTopic: _n, nextBrokers: _b, ...rest } = template.config;
    workers.push({
      name: WHOLE_MODEL_WORKER,
      layer: last,
      config: {
        ...rest,
        model: path.join(input.modelDir, PLACEMENT.cloudOnly, wholePlan.worker.subModel),
        inputTopic: wholeTopic,
        groupId: `${prefix}.whole-model.workers`,
        dlqTopic: `${wholeTopic}.dlq`,
        // Its manifest's layer is the last layer's, but that layer's run-time settings and model versions are not its own.
        controlTopic: 'off',
      },
    });
  }

  return {
    name: input.runName,
    layers: plan.layers.map((l) => l.layer.name),
    topics,
    mirrors,
    workers,
    devices: {
      at,
      requestBrokers: reach(input.addresses, at, plan.requestLayer),
      requestTopic: plan.requestTopic,
      replyBrokers: reach(input.addresses, at, plan.entryLayer),
      replyTopicPrefix,
      replyTopics,
    },
  };
}

/**
 * The cloud-only baseline of an environment: only its last layer, running the whole model (no exit), with the
 * same brokers, partitions and replicas; devices stay where they were and reach it over the WAN.
 */
export function cloudOnlyEnvironment(env: Environment): Environment {
  const last = env.layers[env.layers.length - 1];
  if (!last.worker) throw new Error(`environment "${env.name}": the last layer "${last.name}" runs no worker`);
  return { ...env, name: `${env.name}-cloud-only`, transport: 'direct', layers: [last] };
}
