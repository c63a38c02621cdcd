/**
 * continuum-ddnn's cdk8s construct library: Kafka (brokers, ZooKeeper, topics, SCRAM users + ACLs, MirrorMaker 2),
 * the early-exit inference workers and their NetworkPolicies, for use in any cdk8s chart. Constructs that *use*
 * Kafka take an `IKafkaCluster`: a `KafkaCluster` of the same app, or `KafkaCluster.fromExisting(…)`.
 *
 * The project's own experiments (constructs/continuum.ts, from environments/) are an app built on this library, not
 * part of it.
 */
export { KafkaCluster, AUTHORIZER, externalEndpoints } from './k8s/kafka-cluster';
export type { KafkaClusterProps, ExistingKafkaClusterProps, KafkaExternalAccess, KafkaWanSecurity } from './k8s/kafka-cluster';
export type { IKafkaCluster, KafkaClientSecurity } from './k8s/kafka-endpoint';
export { ZooKeeperEnsemble } from './k8s/zookeeper-ensemble';
export type { ZooKeeperEnsembleProps } from './k8s/zookeeper-ensemble';
export { KafkaTopics } from './k8s/kafka-topics';
export type { KafkaTopicsProps, TopicDeclaration, Topic } from './k8s/kafka-topics';
export { KafkaAccess } from './k8s/kafka-access';
export type { KafkaAccessProps, ScramUser, AclGrant, AclOperation } from './k8s/kafka-access';
export { MirrorMaker2 } from './k8s/mirror-maker2';
export type { MirrorMaker2Props, MirrorSource } from './k8s/mirror-maker2';
export { InferenceLayer } from './k8s/inference-layer';
export type { InferenceLayerProps, RemoteTopic } from './k8s/inference-layer';
export { TrainingJob, TRAINING_DATA_MOUNT } from './k8s/training-job';
export type { TrainingJobProps } from './k8s/training-job';
export { AdaptiveController } from './k8s/adaptive-controller';
export type { AdaptiveControllerProps, ControlledLayerProps } from './k8s/adaptive-controller';
export { LayerNetworkPolicies } from './k8s/layer-network-policies';
export type { LayerNetworkPoliciesProps } from './k8s/layer-network-policies';
export { ContinuumFederation, OVERRIDABLE_PATHS } from './k8s/continuum-federation';
export type { ContinuumFederationProps, FederationEngine, FederationMember, ClusterOverride } from './k8s/continuum-federation';
// Operations (README "Operating it"): KEDA autoscaling on lag, Prometheus Operator scraping and alerts, a Grafana
// dashboard; the CRs are validated against the releases OPERATIONS names.
export { LagAutoscaler } from './k8s/lag-autoscaler';
export type { LagAutoscalerProps } from './k8s/lag-autoscaler';
export { WorkerMonitor } from './k8s/worker-monitor';
export type { WorkerMonitorProps } from './k8s/worker-monitor';
export { BrokerMetrics, JMX_EXPORTER_RULES, jmxExporterConfig } from './k8s/broker-metrics';
export type { BrokerMetricsProps, JmxRule, JmxTarget } from './k8s/broker-metrics';
export { AlertRules } from './k8s/alert-rules';
export type { AlertRulesProps, AlertRule } from './k8s/alert-rules';
export { LayerDashboard, dashboardJson } from './k8s/dashboard';
export type { LayerDashboardProps } from './k8s/dashboard';
export { DASHBOARD_PANELS, promql } from '../contracts/dashboard-panels';
export type { DashboardPanel, PanelSeries } from '../contracts/dashboard-panels';
export type { ResourceRequest } from './k8s/pod-defaults';
// What the workers read and the images run: the worker env-var contract, image versions, ports.
export { WORKER_ENV, WORKER_DEFAULTS, WORKER_HTTP } from '../contracts/worker-env';
export { IMAGES, KAFKA_VERSION, OPERATIONS } from '../contracts/versions';
export { KAFKA_PORTS } from '../contracts/kafka/ports';
// Strimzi as a second engine (the operator must be installed): Kafka + KafkaNodePool, KafkaTopic, KafkaUser,
// KafkaMirrorMaker2 from the CRDs of Strimzi 0.47.0 (constructs/imports/strimzi).
export * from './k8s/strimzi';
export type { TopicCatalog } from './k8s/kafka-topics';
