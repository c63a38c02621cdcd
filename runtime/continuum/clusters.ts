/**
 * The local clusters of a continuum: one Kafka cluster per layer on 127.0.0.1, each behind its own emulated WAN
 * link. A client on the same layer uses `local`; a client on another layer goes through the link (`wan`), so every
 * cross-layer connection crosses exactly one link, with the configured one-way latency and bandwidth.
 */
import type { Environment } from '../../environments';
import { startCluster, type LocalKafkaCluster } from '../kafka/cluster';
import type { TopicSpec } from '../kafka/topics';
import type { WanLinkOptions } from '../kafka/wan-link';
import type { WanBytes } from './records';
import type { Addresses } from './wiring';

/** Broker threads for the local continuum's clusters (issue 17: CPU per hop). */
export const LOCAL_BROKER_TUNING = { numNetworkThreads: 1, numIoThreads: 1 } as const;

export interface LocalClusters {
  readonly clusters: ReadonlyMap<string, LocalKafkaCluster>;
  readonly addresses: Addresses;
  /** Bytes that crossed the WAN since start, edge → cloud (`up`) and cloud → edge (`down`). */
  wanBytes(): WanBytes;
  createTopics(byLayer: Readonly<Record<string, readonly TopicSpec[]>>): Promise<void>;
  /** JVM pids (brokers, ZooKeeper) for the no-process-left-behind checks. */
  pids(): number[];
  stop(): Promise<void>;
}

/**
 * Starts one cluster per layer of `env` (brokers and coordination as configured; at most 3 brokers locally).
 * `entry` is the layer the devices live in: traffic through its link flows from the other layers towards it.
 */
export async function startLocalClusters(env: Environment, wan: WanLinkOptions, runId: string): Promise<LocalClusters> {
  const entry = env.layers[0].name;
  const started: LocalKafkaCluster[] = [];
  try {
    await Promise.all(
      env.layers.map(async (layer) => {
        const brokers = Math.min(3, layer.kafka.brokers);
        started.push(
          await startCluster({
            name: `${runId}-${layer.name}`,
            brokers,
            coordination: env.coordination,
            wan,
            defaultReplicationFactor: Math.min(brokers, layer.topics.replicationFactor),
            minInsyncReplicas: Math.min(brokers, layer.topics.minInSyncReplicas),
            // A layer's brokers share its CPU budget: one network and one I/O thread each wake less often per request
            // than two (measured in the report's CPU table); RF, min.insync.replicas and acks=all stay the paper's.
            tuning: LOCAL_BROKER_TUNING,
          }),
        );
      }),
    );
  } catch (e) {
    await Promise.all(started.map((c) => c.stop()));
    throw e;
  }
  const clusters = new Map(env.layers.map((l) => [l.name, started.find((c) => c.name === `${runId}-${l.name}`)!]));
  const addresses = Object.fromEntries([...clusters].map(([name, c]) => [name, { local: c.bootstrapServers, wan: c.wanBootstrapServers }]));
  return {
    clusters,
    addresses,
    wanBytes() {
      // A link's clients sit on the other side: for the entry (device) layer's link, client → broker is towards the
      // entry layer ("down"); for every other layer's link, client → broker is away from it ("up").
      let up = 0;
      let down = 0;
      for (const [name, c] of clusters) {
        const s = c.wanLink?.stats();
        if (!s) continue;
        if (name === entry) {
          down += s.bytesUp;
          up += s.bytesDown;
        } else {
          up += s.bytesUp;
          down += s.bytesDown;
        }
      }
      return { up, down };
    },
    async createTopics(byLayer) {
      await Promise.all(Object.entries(byLayer).map(([layer, specs]) => clusters.get(layer)!.createTopics(specs)));
    },
    pids: () => [...clusters.values()].flatMap((c) => c.pids()),
    async stop() {
      await Promise.all([...clusters.values()].map((c) => c.stop()));
    },
  };
}
