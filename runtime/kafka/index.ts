/** Local Apache Kafka for continuum-ddnn: clusters, topics, MirrorMaker 2, WAN links and shared settings. */
export * from '../../contracts/kafka/broker-settings';
export * from './client-settings';
export * from '../../contracts/kafka/mirror-maker-settings';
export { startCluster, LocalKafkaCluster, type ClusterOptions } from './cluster';
export { startContinuum, type Continuum, type ContinuumOptions } from './continuum';
export { startMirrorMaker2, startMirrorMakersPerTarget, LocalMirrorMaker2, type MirrorMakerOptions } from './mirror-maker';
export { createTopics, resolveTopic, type TopicSpec } from './topics';
export { WanLink, scheduleChunk, type WanLinkOptions, type WanShape, type CutMode } from './wan-link';
export { kafkaDistribution } from './distribution';
