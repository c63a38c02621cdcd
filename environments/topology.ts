/**
 * The Kafka topology an environment implies, derived once and used by both the manifests (constructs/) and the
 * local main job: which topics exist in which layer's cluster, which topics MirrorMaker 2 carries between clusters,
 * and what each worker consumes and produces. Pure: no I/O.
 */
import type { MirrorFlow } from '../contracts/kafka/mirror-maker-settings';
import type { Environment, LayerSpec, TopicSettings } from './schema';

/** Topics copied from one cluster to another by a MirrorMaker 2 running next to the target cluster. */
export type { MirrorFlow };

/**
 * A topic the plan puts in a layer's cluster, with the layer's topic settings (constructs and the local launcher turn
 * it into their own declarations; contracts/kafka/topics.ts's TopicSpec is what the launcher creates).
 */
export interface PlannedTopic extends TopicSettings {
  name: string;
  /** Why the topic exists in this cluster (shows up as a label on the creating Job). */
  purpose: 'requests' | 'replies' | 'dead-letter';
}

/** Where a worker reads and writes; `layer` names the cluster whose brokers are meant. */
export interface WorkerWiring {
  layer: string;
  subModel: string;
  groupId: string;
  input: { layer: string; topic: string };
  /** Absent for the last layer, which always answers. */
  next?: { layer: string; topic: string };
  /** Cluster whose reply topics the worker answers on (the device reads its answers from the entry cluster). */
  replyLayer: string;
  replyTopic: string;
  deadLetter: { layer: string; topic: string };
}

export interface LayerPlan {
  layer: LayerSpec;
  index: number;
  topics: PlannedTopic[];
  /** Flows whose target is this layer's cluster: its MirrorMaker 2 runs here. */
  mirrorsIn: MirrorFlow[];
  worker?: WorkerWiring;
}

export interface ContinuumPlan {
  /** The layer whose cluster devices read their answers from (the first layer). */
  entryLayer: string;
  /** The layer whose cluster devices send requests to (the entry layer, unless a direct link skips it). */
  requestLayer: string;
  requestTopic: string;
  replyTopic: string;
  layers: LayerPlan[];
  mirrors: MirrorFlow[];
}

export const topicNames = (prefix: string) => ({
  requests: (layer: string) => `${prefix}.${layer}.requests`,
  replies: `${prefix}.replies`,
  deadLetter: (layer: string) => `${prefix}.${layer}.dead-letter`,
});

export function planContinuum(env: Environment): ContinuumPlan {
  const names = topicNames(env.topics.prefix);
  const layers = env.layers;
  const entry = layers[0];
  const mirrored = env.transport === 'mirrored';

  // A topic takes its partition count from the layer that consumes it (MirrorMaker 2 keeps partitions, so the copy
  // upstream matches), and its replication from the cluster it lives in.
  const topicIn = (host: LayerSpec, name: string, purpose: PlannedTopic['purpose'], partitions: number): PlannedTopic => ({
    ...host.topics,
    name,
    purpose,
    partitions,
  });

  const mirrors: MirrorFlow[] = [];
  const plans: LayerPlan[] = layers.map((layer, index) => ({ layer, index, topics: [], mirrorsIn: [] }));

  plans[0].topics.push(topicIn(entry, names.replies, 'replies', entry.topics.partitions));
  layers.forEach((layer, i) => {
    if (!layer.worker) return;
    const plan = plans[i];
    const requests = names.requests(layer.name);
    plan.topics.push(topicIn(layer, requests, 'requests', layer.topics.partitions));
    plan.topics.push(topicIn(layer, names.deadLetter(layer.name), 'dead-letter', 1));
    const previous = i > 0 ? layers[i - 1] : undefined;
    if (previous?.worker && mirrored) {
      // The previous worker writes features into its own cluster; MM2 next to this cluster pulls them.
      plans[i - 1].topics.push(topicIn(previous, requests, 'requests', layer.topics.partitions));
      mirrors.push({ source: previous.name, target: layer.name, topics: [requests] });
    }
    if (i > 0 && mirrored) {
      // Answers are produced locally and carried back to the cluster the devices read.
      plan.topics.push(topicIn(layer, names.replies, 'replies', entry.topics.partitions));
      mirrors.push({ source: layer.name, target: entry.name, topics: [names.replies] });
    }
    const next = layers[i + 1];
    plan.worker = {
      layer: layer.name,
      subModel: layer.worker.subModel,
      groupId: `${env.topics.prefix}.${layer.name}.workers`,
      input: { layer: layer.name, topic: requests },
      next: next ? { layer: mirrored ? layer.name : next.name, topic: names.requests(next.name) } : undefined,
      replyLayer: mirrored ? layer.name : entry.name,
      replyTopic: names.replies,
      deadLetter: { layer: layer.name, topic: names.deadLetter(layer.name) },
    };
  });
  for (const flow of mirrors) plans.find((p) => p.layer.name === flow.target)!.mirrorsIn.push(flow);

  const firstWorker = layers.find((l) => l.worker)!;
  if (firstWorker !== entry) {
    // Devices send to the entry cluster; the first worker's requests topic must be carried to it.
    const requests = names.requests(firstWorker.name);
    if (mirrored) {
      plans[0].topics.push(topicIn(entry, requests, 'requests', firstWorker.topics.partitions));
      const flow = { source: entry.name, target: firstWorker.name, topics: [requests] };
      mirrors.push(flow);
      plans.find((p) => p.layer === firstWorker)!.mirrorsIn.push(flow);
    }
  }

  return {
    entryLayer: entry.name,
    requestLayer: mirrored ? entry.name : firstWorker.name,
    requestTopic: names.requests(firstWorker.name),
    replyTopic: names.replies,
    layers: plans,
    mirrors,
  };
}
