/**
 * Every version the project couples to, in one place (constructs, infra and the runtime all read it), so that a
 * move (cdk8s-plus-28 → a supported line, cdktf → its fork, a Kafka upgrade) is a change of this file and a re-synth.
 *
 * Images are pinned by exact version tag; add `@sha256:…` digests here once they are mirrored into the project's
 * registry (digests cannot be resolved from these machines).
 */

/** Kubernetes minor the manifests target (cdk8s-plus-28's API level). */
export const KUBERNETES_VERSION = '1.28';

/**
 * Apache Kafka, everywhere: the broker image, the local launcher's jars (runtime/kafka/pom.xml resolves the same
 * version from Maven Central; test/contracts/versions.test.ts checks that they agree) and the benchmarks' records.
 */
export const KAFKA_VERSION = '3.9.1';

/** The ZooKeeper release Kafka 3.9 is built and tested against (image and pom.xml). */
export const ZOOKEEPER_VERSION = '3.8.4';

export const IMAGES = {
  /** Official Apache image: ships /opt/kafka (broker, ZooKeeper-mode broker, tools, MirrorMaker 2); runs as appuser (1000). */
  kafka: `apache/kafka:${KAFKA_VERSION}`,
  /** Official ZooKeeper image. */
  zookeeper: `zookeeper:${ZOOKEEPER_VERSION}`,
} as const;

/** UIDs the images run as; pods pin them so `runAsNonRoot` can be verified by the kubelet. */
export const IMAGE_USERS = {
  kafka: 1000,
  zookeeper: 1000,
  worker: 1000,
} as const;

/** cdktf side: provider and GKE versions. @cdktf/provider-google 16.x wraps the google provider 6.x. */
export const TERRAFORM = {
  googleProvider: { source: 'hashicorp/google', version: '~> 6.0' },
  /** GKE release channel; the cluster's minor follows it (REGULAR is ≥ KUBERNETES_VERSION). */
  gkeReleaseChannel: 'REGULAR',
} as const;

/** The on-prem edge runs k3s; pin the release the bootstrap script installs. */
export const K3S_VERSION = 'v1.28.15+k3s1';

/**
 * Operations add-ons the layer clusters' manifests target (constructs/k8s/{lag-autoscaler,worker-monitor,
 * broker-metrics,alert-rules,dashboard}.ts). The custom resources are validated against these releases' CRDs,
 * kept in test/constructs/crds/ (SOURCES.md there names repository, path and tag).
 */
export const OPERATIONS = {
  /** KEDA: ScaledObject + TriggerAuthentication (keda.sh/v1alpha1). */
  kedaVersion: '2.20.2',
  /** Prometheus Operator: PodMonitor + PrometheusRule (monitoring.coreos.com/v1). */
  prometheusOperatorVersion: '0.93.0',
  /** The label the Grafana dashboard sidecar (kiwigrid k8s-sidecar, as the Grafana Helm chart sets it up) watches. */
  grafanaDashboardLabel: { grafana_dashboard: '1' },
  /**
   * Prometheus JMX exporter java agent on the brokers and MirrorMaker 2, from Maven Central
   * (io.prometheus.jmx:jmx_prometheus_javaagent); the init container checks the jar's SHA-256.
   */
  jmxExporter: {
    version: '1.0.1',
    sha256: '7d61f737fd661610ccc14aea79764faa1ea94a340cbc8f0029b3d2edea3d80c1',
    url: 'https://repo1.maven.org/maven2/io/prometheus/jmx/jmx_prometheus_javaagent/1.0.1/jmx_prometheus_javaagent-1.0.1.jar',
    /** Port the agent serves /metrics on in the broker and MirrorMaker 2 pods. */
    port: 9404,
  },
  /** Image of the init container that fetches the agent (curl + sha256sum). */
  fetchImage: 'curlimages/curl:8.11.1',
} as const;
