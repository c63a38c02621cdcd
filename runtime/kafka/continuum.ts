/**
 * The local Kafka continuum: an `edge` and a `cloud` cluster, started together, plus MirrorMaker 2 carrying chosen
 * topics edge→cloud and cloud→edge under their own names: one instance per direction, next to the cluster it writes
 * to (startMirrorMakersPerTarget, the launcher the main job uses too).
 */
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import type { Coordination, BrokerTuning } from '../../contracts/kafka/broker-settings';
import { startCluster, type LocalKafkaCluster } from './cluster';
import { startMirrorMakersPerTarget, type LocalMirrorMaker2 } from './mirror-maker';
import type { LocalSecurityOptions } from './security';
import type { TopicSpec } from './topics';
import type { WanLinkOptions } from './wan-link';

export interface ContinuumClusterOptions {
  /** @default 1 */
  readonly brokers?: number;
  /** @default 'kraft' */
  readonly coordination?: Coordination;
  readonly wan?: WanLinkOptions;
  readonly heapMb?: number;
  readonly tuning?: Partial<BrokerTuning>;
  /** TLS + SASL/SCRAM for this cluster (MirrorMaker 2 then logs in as its admin). @default - PLAINTEXT */
  readonly security?: LocalSecurityOptions;
}

export interface ContinuumOptions {
  /** Cluster settings. A `wan` shape puts an emulated WAN link in front of that cluster. */
  readonly edge?: ContinuumClusterOptions;
  readonly cloud?: ContinuumClusterOptions;
  /** Topics created on both clusters (same partitions/replication on each side). */
  readonly topics?: readonly TopicSpec[];
  /** Topic names mirrored edge→cloud. */
  readonly edgeToCloud: readonly string[];
  /** Topic names mirrored cloud→edge (must not overlap edgeToCloud: no cycles). */
  readonly cloudToEdge: readonly string[];
  /** Prefix for the data directories, handy when several continuums run side by side. */
  readonly namePrefix?: string;
}

export interface Continuum {
  readonly edge: LocalKafkaCluster;
  readonly cloud: LocalKafkaCluster;
  /** The instance writing into the cloud (edge→cloud topics), if any. */
  readonly edgeToCloud?: LocalMirrorMaker2;
  /** The instance writing into the edge (cloud→edge topics), if any. */
  readonly cloudToEdge?: LocalMirrorMaker2;
  stop(): Promise<void>;
}

export async function startContinuum(options: ContinuumOptions): Promise<Continuum> {
  const prefix = options.namePrefix ? `${options.namePrefix}-` : '';
  const started: LocalKafkaCluster[] = [];
  const start = async (name: string, o: ContinuumClusterOptions = {}) => {
    const c = await startCluster({ name: `${prefix}${name}`, ...o });
    started.push(c);
    return c;
  };
  try {
    const [edge, cloud] = await Promise.all([start('edge', options.edge), start('cloud', options.cloud)]);
    const mirrored = [...options.edgeToCloud, ...options.cloudToEdge];
    const declared = new Map((options.topics ?? []).map((t) => [t.name, t]));
    // Every mirrored topic exists on both sides with the caller's spec, so MM2 never picks the settings.
    const specs = [...declared.values(), ...mirrored.filter((t) => !declared.has(t)).map((name) => ({ name }))];
    await Promise.all([edge.createTopics(specs), cloud.createTopics(specs)]);
    const flows = [
      ...(options.edgeToCloud.length ? [{ source: 'edge', target: 'cloud', topics: options.edgeToCloud }] : []),
      ...(options.cloudToEdge.length ? [{ source: 'cloud', target: 'edge', topics: options.cloudToEdge }] : []),
    ];
    const mirrorMakers = await startMirrorMakersPerTarget({
      clusters: { edge, cloud },
      flows,
      dirFor: (target) => path.join(path.dirname(edge.dataDir), `${path.basename(edge.dataDir)}-mirror-maker-to-${target}`),
    });
    return {
      edge,
      cloud,
      edgeToCloud: mirrorMakers.get('cloud'),
      cloudToEdge: mirrorMakers.get('edge'),
      async stop() {
        await Promise.all([...mirrorMakers.values()].map((mm) => mm.stop()));
        await Promise.all([edge.stop(), cloud.stop()]);
        for (const mm of mirrorMakers.values()) rmSync(mm.dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await Promise.all(started.map((c) => c.stop({ keepDataDir: true })));
    throw e;
  }
}
