/** Strimzi as a second Kafka engine: the same clusters, topics, users and mirrors as Strimzi custom resources. */
export { StrimziKafkaCluster, STRIMZI_LISTENER, STRIMZI_VERSION } from './strimzi-kafka-cluster';
export type { StrimziKafkaClusterProps } from './strimzi-kafka-cluster';
export { StrimziKafkaTopics, topicResourceName } from './strimzi-kafka-topics';
export type { StrimziKafkaTopicsProps } from './strimzi-kafka-topics';
export { StrimziKafkaAccess } from './strimzi-kafka-access';
export type { StrimziKafkaAccessProps } from './strimzi-kafka-access';
export { StrimziMirrorMaker2 } from './strimzi-mirror-maker2';
export type { StrimziMirrorMaker2Props } from './strimzi-mirror-maker2';
export { StrimziMetrics, STRIMZI_METRICS_PORT, STRIMZI_METRICS_PORT_NAME } from './strimzi-metrics';
export type { StrimziMetricsProps } from './strimzi-metrics';
