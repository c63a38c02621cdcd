/**
 * Topics declared once (partitions, replication, min.insync.replicas, retention), checked against the cluster at
 * synth time and created in the cluster by a Job running kafka-topics.sh against the internal listener.
 * The Job's name carries a hash of the declarations: Jobs are immutable, so a changed declaration is a new Job.
 */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { kafkaAdminJob } from './kafka-admin-job';
import type { IKafkaCluster } from './kafka-endpoint';

export interface TopicDeclaration {
  readonly name: string;
  /** @default 1 */
  readonly partitions?: number;
  /** @default min(3, brokers) */
  readonly replicationFactor?: number;
  /** @default max(1, replicationFactor - 1) */
  readonly minInSyncReplicas?: number;
  /** @default 86400000 (1 day) */
  readonly retentionMs?: number;
  /** Free-form reason, shown as a comment in the Job's script. @default - none */
  readonly purpose?: string;
}

export interface KafkaTopicsProps {
  /** A KafkaCluster, or `KafkaCluster.fromExisting(…)`. */
  readonly cluster: IKafkaCluster;
  readonly topics: TopicDeclaration[];
  /** @default IMAGES.kafka */
  readonly image?: string;
}

/** A topic with every default resolved: what the cluster will hold. */
export interface Topic {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly minInSyncReplicas: number;
  readonly retentionMs: number;
}

/** Declared topics of one cluster, whatever creates them (this Job, or Strimzi's topic operator). */
export interface TopicCatalog {
  readonly cluster: IKafkaCluster;
  readonly topics: readonly Topic[];
  /** The declared topic, or an error naming the cluster and the topics it has. */
  topic(name: string): Topic;
}

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/** Fills the defaults of each declaration and checks it against the cluster's size; errors name the field. */
export function resolveTopicDeclarations(cluster: IKafkaCluster, declarations: readonly TopicDeclaration[], kind = 'KafkaTopics'): Topic[] {
  const seen = new Set<string>();
  return declarations.map((t, i) => {
    const at = `${kind} ${cluster.name}: topics[${i}] (${t.name})`;
    if (!TOPIC_NAME.test(t.name)) throw new Error(`${at}: name must be 1–249 of [A-Za-z0-9._-]`);
    if (seen.has(t.name)) throw new Error(`${at}: declared twice`);
    seen.add(t.name);
    const partitions = t.partitions ?? 1;
    const rf = t.replicationFactor ?? Math.min(3, cluster.brokers);
    const minIsr = t.minInSyncReplicas ?? Math.max(1, rf - 1);
    if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`${at}: partitions (${partitions}) must be an integer ≥ 1`);
    if (rf < 1 || rf > cluster.brokers) throw new Error(`${at}: replicationFactor (${rf}) must be ≤ brokers (${cluster.brokers})`);
    if (minIsr < 1 || minIsr > rf) throw new Error(`${at}: minInSyncReplicas (${minIsr}) must be ≤ replicationFactor (${rf})`);
    return { name: t.name, partitions, replicationFactor: rf, minInSyncReplicas: minIsr, retentionMs: t.retentionMs ?? 86_400_000 };
  });
}

/** The topic named `name` in `catalog`, or an error naming the cluster and the topics it has. */
export function findTopic(catalog: Pick<TopicCatalog, 'cluster' | 'topics'>, name: string): Topic {
  const t = catalog.topics.find((x) => x.name === name);
  if (!t) throw new Error(`topic "${name}" is not declared in ${catalog.cluster.name} (has: ${catalog.topics.map((x) => x.name).join(', ')})`);
  return t;
}

export class KafkaTopics extends Construct implements TopicCatalog {
  readonly cluster: IKafkaCluster;
  readonly topics: readonly Topic[];
  readonly jobName: string;
  /** Escape hatch: the Job as synthesized. */
  readonly job: k8s.KubeJob;

  constructor(scope: Construct, id: string, props: KafkaTopicsProps) {
    super(scope, id);
    const { cluster } = props;
    this.cluster = cluster;
    this.topics = resolveTopicDeclarations(cluster, props.topics);

    const commands = this.topics.map((t) =>
      [
        '/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists',
        `--topic ${t.name} --partitions ${t.partitions} --replication-factor ${t.replicationFactor}`,
        `--config min.insync.replicas=${t.minInSyncReplicas} --config retention.ms=${t.retentionMs}`,
        // An existing topic (e.g. moving from paper-ha-p2 to p3) grows to the declared partitions; Kafka cannot shrink.
        `&& grow ${t.name} ${t.partitions}`,
      ].join(' '),
    );
    const grow = [
      'grow() {',
      '  have=$(/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --describe --topic "$1" | sed -n \'s/.*PartitionCount: *\\([0-9]*\\).*/\\1/p\' | head -1)',
      '  if [ "$have" -lt "$2" ]; then /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --alter --topic "$1" --partitions "$2";',
      '  elif [ "$have" -gt "$2" ]; then echo "WARNING: $1 has $have partitions, more than the $2 declared (Kafka cannot shrink a topic)" >&2; fi',
      '}',
    ];
    const script = ['set -e', ...grow, ...commands, '/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --describe'].join('\n');
    this.job = kafkaAdminJob(this, { cluster, purpose: 'topics', containerName: 'create-topics', script, image: props.image });
    this.jobName = this.job.name;
  }

  topic(name: string): Topic {
    return findTopic(this, name);
  }
}
