/**
 * Topics of a Strimzi cluster as `KafkaTopic` resources, which Strimzi's topic operator creates and keeps in sync
 * (partitions grow, configs follow). Declarations and their checks are KafkaTopics' (resolveTopicDeclarations).
 */
import { createHash } from 'crypto';
import { Construct } from 'constructs';
import { KafkaTopic } from '../../imports/strimzi/kafka.strimzi.io';
import { type Topic, type TopicCatalog, type TopicDeclaration, findTopic, resolveTopicDeclarations } from '../kafka-topics';
import type { StrimziKafkaCluster } from './strimzi-kafka-cluster';

export interface StrimziKafkaTopicsProps {
  readonly cluster: StrimziKafkaCluster;
  readonly topics: TopicDeclaration[];
}

/** A Kubernetes name for a topic: the topic's own when it is one, else a cleaned form with a hash of the original. */
export function topicResourceName(topic: string): string {
  if (/^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/.test(topic)) return topic;
  const clean = topic.toLowerCase().replace(/[^a-z0-9.-]/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '').slice(0, 50);
  return `${clean || 'topic'}-${createHash('sha256').update(topic).digest('hex').slice(0, 8)}`;
}

export class StrimziKafkaTopics extends Construct implements TopicCatalog {
  readonly cluster: StrimziKafkaCluster;
  readonly topics: readonly Topic[];
  /** Escape hatch: the KafkaTopic resources, in declaration order. */
  readonly resources: KafkaTopic[];

  constructor(scope: Construct, id: string, props: StrimziKafkaTopicsProps) {
    super(scope, id);
    this.cluster = props.cluster;
    this.topics = resolveTopicDeclarations(props.cluster, props.topics, 'StrimziKafkaTopics');
    this.resources = this.topics.map(
      (t, i) =>
        new KafkaTopic(this, `topic-${i}`, {
          metadata: { name: topicResourceName(t.name), labels: { 'strimzi.io/cluster': props.cluster.name } },
          spec: {
            topicName: t.name,
            partitions: t.partitions,
            replicas: t.replicationFactor,
            config: { 'min.insync.replicas': String(t.minInSyncReplicas), 'retention.ms': String(t.retentionMs) },
          },
        }),
    );
  }

  topic(name: string): Topic {
    return findTopic(this, name);
  }
}
