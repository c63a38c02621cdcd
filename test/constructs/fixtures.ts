/** Small building blocks shared by the construct tests. */
import { Testing } from 'cdk8s';
import type { Chart } from 'cdk8s';
import { KafkaCluster } from '../../constructs/k8s/kafka-cluster';
import { KafkaTopics, type TopicDeclaration } from '../../constructs/k8s/kafka-topics';
import type { Manifest } from './manifest-checks';

export function clusterWithTopics(topics: TopicDeclaration[], brokers = 3, chart: Chart = Testing.chart()) {
  const cluster = new KafkaCluster(chart, 'kafka', { name: 'kafka', brokers, external: { type: 'NodePort', host: '203.0.113.7' } });
  const declared = new KafkaTopics(chart, 'topics', { cluster, topics });
  return { chart, cluster, topics: declared };
}

export const find = (objects: Manifest[], kind: string, name?: string) =>
  objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name))!;
