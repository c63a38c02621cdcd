/**
 * MirrorMaker 2 (dedicated mode) properties: pure, shared by the local launcher (runtime/kafka) and the cdk8s constructs.
 *
 * Topics keep their names across clusters (IdentityReplicationPolicy). Identity names cannot tell an
 * original from a replica, so a topic mirrored both ways would loop forever: each direction must carry
 * its own topics, and this builder refuses a topic listed in both.
 */
import type { Properties } from './broker-settings';

export interface MirrorClusterSpec {
  /** Cluster alias, e.g. 'edge' (used as MM2's cluster name and property prefix). */
  readonly alias: string;
  readonly bootstrapServers: string;
  /** Brokers in that cluster: caps the replication factor of topics MM2 creates there. */
  readonly brokers: number;
  /** Client security properties for this cluster (security.protocol, sasl.*, ssl.*), prefixed with the alias. */
  readonly security?: Readonly<Record<string, string>>;
}

/** Topics one MirrorMaker 2 flow copies from `source` to `target` (cluster aliases). */
export interface MirrorFlow {
  readonly source: string;
  readonly target: string;
  /** Exact topic names to mirror (names are kept on the target). */
  readonly topics: readonly string[];
}

export interface MirrorMakerSettingsInput {
  readonly clusters: readonly MirrorClusterSpec[];
  readonly flows: readonly MirrorFlow[];
  /** Replication factor of mirrored topics and MM2's internal topics. @default min(3, smallest cluster) */
  readonly replicationFactor?: number;
  /** Connector tasks per flow. @default 1 */
  readonly tasksMax?: number;
  /** How often new source topics/partitions are noticed. Kafka's default is 600. @default 5 */
  readonly refreshTopicsIntervalSeconds?: number;
  /** Largest record MM2 copies; match the brokers' message.max.bytes. @default 8388608 */
  readonly maxMessageBytes?: number;
  readonly overrides?: Readonly<Record<string, string>>;
}

const ALIAS = /^[a-z][a-z0-9-]*$/;

/** Matches exactly one topic name in MM2's comma-separated regex list. */
const topicPattern = (topic: string): string => topic.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function mirrorMakerProperties(input: MirrorMakerSettingsInput): Properties {
  const aliases = new Set(input.clusters.map((c) => c.alias));
  if (aliases.size !== input.clusters.length) throw new Error('clusters: aliases must be unique');
  for (const c of input.clusters) {
    if (!ALIAS.test(c.alias)) throw new Error(`clusters: alias "${c.alias}" must match ${ALIAS}`);
  }
  if (input.flows.length === 0) throw new Error('flows: at least one flow is required');

  const mirroredFrom = new Map<string, string>();
  for (const f of input.flows) {
    for (const end of [f.source, f.target]) {
      if (!aliases.has(end)) throw new Error(`flows: cluster "${end}" is not in clusters`);
    }
    if (f.source === f.target) throw new Error(`flows: source and target are both "${f.source}"`);
    if (f.topics.length === 0) throw new Error(`flows: ${f.source}->${f.target} has no topics`);
    for (const t of f.topics) {
      if (!/^[A-Za-z0-9._-]{1,249}$/.test(t)) throw new Error(`flows: "${t}" is not a valid topic name`);
      const other = mirroredFrom.get(t);
      if (other !== undefined) {
        throw new Error(
          `flows: topic "${t}" is mirrored by both ${other} and ${f.source}->${f.target}; with identity ` +
            'names that is a replication cycle. Use one topic per direction.',
        );
      }
      mirroredFrom.set(t, `${f.source}->${f.target}`);
    }
  }

  const smallest = Math.min(...input.clusters.map((c) => c.brokers));
  const rf = input.replicationFactor ?? Math.min(3, smallest);
  if (rf < 1 || rf > smallest) {
    throw new Error(`replicationFactor (${rf}) must be between 1 and the smallest cluster's brokers (${smallest})`);
  }
  const maxBytes = String(input.maxMessageBytes ?? 8 * 1024 * 1024);

  const props: Properties = {
    clusters: input.clusters.map((c) => c.alias).join(','),
    'replication.policy.class': 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy',
    'tasks.max': String(input.tasksMax ?? 1),
    'replication.factor': String(rf),
    'refresh.topics.interval.seconds': String(input.refreshTopicsIntervalSeconds ?? 5),
    // Only the chosen topics move. Heartbeats would be mirrored both ways under identity names (a cycle),
    // and checkpoints/group-offset sync are for consumer fail-over, which the continuum does not use.
    'emit.heartbeats.enabled': 'false',
    'emit.checkpoints.enabled': 'false',
    'sync.group.offsets.enabled': 'false',
    'refresh.groups.enabled': 'false',
    'sync.topic.acls.enabled': 'false',
    'sync.topic.configs.enabled': 'true',
    // Find Connect plugins through their ServiceLoader manifests, not by scanning every jar by reflection
    // (~3 s per scan on 2 cores). MM2 reads it here for its own setup and per target cluster for each herder.
    'plugin.discovery': 'service_load',
    // MM2's own bookkeeping topics, sized for small clusters.
    'offset-syncs.topic.replication.factor': String(rf),
    'checkpoints.topic.replication.factor': String(rf),
    'heartbeats.topic.replication.factor': String(rf),
    'config.storage.replication.factor': String(rf),
    'offset.storage.replication.factor': String(rf),
    'status.storage.replication.factor': String(rf),
  };

  for (const c of input.clusters) {
    Object.assign(props, {
      [`${c.alias}.bootstrap.servers`]: c.bootstrapServers,
      // Low latency rather than throughput: send each record at once, and answer fetches as soon as one byte is
      // there. MM2 runs next to its target and reads its source across the WAN: a long poll (500 ms) keeps a fetch
      // parked at the source broker, so a record crosses as soon as it arrives instead of waiting for the next
      // fetch to cross (a 50 ms wait against a 30 ms round trip left no fetch parked most of the time).
      [`${c.alias}.producer.linger.ms`]: '0',
      [`${c.alias}.producer.acks`]: 'all',
      [`${c.alias}.producer.compression.type`]: 'none',
      [`${c.alias}.producer.max.request.size`]: maxBytes,
      [`${c.alias}.consumer.fetch.min.bytes`]: '1',
      [`${c.alias}.consumer.fetch.max.wait.ms`]: '500',
      [`${c.alias}.consumer.max.partition.fetch.bytes`]: maxBytes,
      [`${c.alias}.consumer.auto.offset.reset`]: 'earliest',
      [`${c.alias}.plugin.discovery`]: 'service_load',
    });
    for (const [k, v] of Object.entries(c.security ?? {})) props[`${c.alias}.${k}`] = v;
  }
  for (const a of aliases) {
    for (const b of aliases) {
      if (a !== b) props[`${a}->${b}.enabled`] = 'false';
    }
  }
  for (const f of input.flows) {
    props[`${f.source}->${f.target}.enabled`] = 'true';
    props[`${f.source}->${f.target}.topics`] = f.topics.map(topicPattern).join(',');
  }
  return { ...props, ...input.overrides };
}
