/**
 * The typed, validated description of one experiment: which continuum layers exist, what Kafka each runs, which
 * sub-model each layer serves and how the layers are linked. The cdk8s/cdktf apps and the local main job read
 * these objects; every invalid combination is refused here, with the offending field's path in the message.
 */
import { z } from 'zod';
import { WORKER_DEFAULTS } from '../contracts/worker-env';

const dnsLabel = z
  .string()
  .regex(/^[a-z]([a-z0-9-]{0,28}[a-z0-9])?$/, 'must be a DNS label: lowercase letters, digits and -, ≤ 30 chars');

/** Kubernetes quantity, e.g. `500m`, `2`, `512Mi`, `10Gi`. */
const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/, 'must be a Kubernetes quantity');

export const Resources = z.object({
  cpu: quantity.describe('CPU request; the limit is left unset so a pod can burst'),
  memory: quantity.describe('memory request and limit'),
});
export type Resources = z.infer<typeof Resources>;

export const Coordination = z.enum(['zookeeper', 'kraft']);
export type Coordination = z.infer<typeof Coordination>;

/** direct: a worker produces to the next layer's brokers over the WAN; mirrored: MirrorMaker 2 carries topics. */
export const Transport = z.enum(['direct', 'mirrored']);
export type Transport = z.infer<typeof Transport>;

export const ExitCriterion = z.enum(['max-prob', 'entropy']);
export type ExitCriterion = z.infer<typeof ExitCriterion>;

/** How one layer's brokers are reached from outside their cluster (other layers, devices). */
export const ExternalAccess = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('LoadBalancer'),
    /** Host name advertised for broker N: `{ordinal}` is replaced; point it at static address N (Terraform output). */
    hostPattern: z.string().includes('{ordinal}'),
    port: z.number().int().min(1).max(65535).default(9094),
  }),
  z.object({
    type: z.literal('NodePort'),
    /** A node address (or VIP) reachable by the other layers and the devices. */
    host: z.string().min(1),
    /** Broker N is exposed on node port basePort + N. */
    basePort: z.number().int().min(30000).max(32767).default(30094),
  }),
]);
export type ExternalAccess = z.infer<typeof ExternalAccess>;

export const KafkaSpec = z.object({
  /**
   * Who runs Kafka: `statefulset` (the project's own StatefulSets, as the design card asks) or `strimzi` (custom
   * resources for an installed Strimzi 0.47 operator; KRaft only).
   */
  engine: z.enum(['statefulset', 'strimzi']).default('statefulset'),
  brokers: z.number().int().min(1).max(15),
  /** ZooKeeper ensemble size or KRaft controller quorum size (odd: a quorum of 2 tolerates no more than 1). */
  quorum: z.number().int().min(1).max(7).default(1),
  storage: quantity.default('10Gi'),
  storageClass: z.string().optional(),
  resources: Resources.default({ cpu: '500m', memory: '2Gi' }),
  /** Largest message (bytes): a 16×16×64 float32 feature map is 64 KiB; batches of them need headroom. */
  messageMaxBytes: z.number().int().min(1024).default(8 * 1024 * 1024),
  external: ExternalAccess,
});
export type KafkaSpec = z.infer<typeof KafkaSpec>;

export const TopicSettings = z.object({
  partitions: z.number().int().min(1).max(256),
  replicationFactor: z.number().int().min(1).max(15),
  minInSyncReplicas: z.number().int().min(1).max(15),
  retentionMs: z.number().int().min(60_000).default(24 * 3600 * 1000),
});
export type TopicSettings = z.infer<typeof TopicSettings>;

export const WorkerSpec = z.object({
  /** Sub-model served on this layer: a sub-folder of the partitioned model (contracts/manifest.ts). */
  subModel: z.string().min(1),
  replicas: z.number().int().min(1).max(64),
  resources: Resources.default({ cpu: '1', memory: '2Gi' }),
  /** Micro-batching; defaults are the worker's own (a lone request runs at once, a backlog still forms full batches). */
  batch: z
    .object({
      maxSize: z.number().int().min(1).max(1024).default(WORKER_DEFAULTS.batchMaxSize),
      maxDelayMs: z.number().int().min(0).max(1000).default(WORKER_DEFAULTS.batchMaxWaitMs),
    })
    .default({}),
});
export type WorkerSpec = z.infer<typeof WorkerSpec>;

export const OnPremNode = z.object({
  name: dnsLabel,
  address: z.string().min(1),
  role: z.enum(['server', 'agent']),
});
export type OnPremNode = z.infer<typeof OnPremNode>;

export const ClusterSpec = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('gke'),
    nodes: z.number().int().min(1).max(100),
    machineType: z.string().min(1),
    diskSizeGb: z.number().int().min(10).default(50),
    /** Kubernetes API endpoint the federation control plane uses (the GKE endpoint, or a DNS name for it). */
    apiEndpoint: z.string().url().optional(),
  }),
  z.object({
    kind: z.literal('on-prem'),
    /** k3s nodes the operator brings up with the synthesized bootstrap files. */
    nodes: z.array(OnPremNode).min(1),
    /** CIDRs the edge traffic comes from (opened on the cloud side's Kafka external listeners). */
    egressCidrs: z.array(z.string()).min(1),
    /** @default https://<first server node>:6443 (k3s) */
    apiEndpoint: z.string().url().optional(),
  }),
  /** The embedded default: brokers and workers as local processes (runtime/continuum); nothing to provision. */
  z.object({ kind: z.literal('local') }),
]);
export type ClusterSpec = z.infer<typeof ClusterSpec>;

export const LayerSpec = z.object({
  name: dnsLabel,
  cluster: ClusterSpec,
  kafka: KafkaSpec,
  /** Settings of the topics this layer's worker consumes (and of the others created in this cluster). */
  topics: TopicSettings,
  /** Absent when the layer only runs Kafka (e.g. the device-facing edge of a cloud-only run). */
  worker: WorkerSpec.optional(),
});
export type LayerSpec = z.infer<typeof LayerSpec>;

export const CloudSpec = z.object({
  project: z.string().min(1),
  region: z.string().min(1),
  zone: z.string().min(1),
  /** Terraform state in a GCS bucket when set; local state otherwise. */
  stateBucket: z.string().optional(),
  networkCidr: z.string().default('10.20.0.0/20'),
  podCidr: z.string().default('10.24.0.0/14'),
  serviceCidr: z.string().default('10.28.0.0/20'),
  /** Ranges of clients outside any on-prem layer (devices of a cloud-only run) admitted on the Kafka WAN listeners. */
  clientCidrs: z.array(z.string()).optional(),
});
export type CloudSpec = z.infer<typeof CloudSpec>;

/**
 * Operations add-ons in the layer clusters (README "Operating it"); each is off when absent. They need KEDA and the
 * Prometheus Operator installed (contracts/versions.ts OPERATIONS names the validated releases), and Grafana with
 * its dashboard sidecar for the dashboards.
 */
export const OperationsSpec = z.object({
  /** KEDA ScaledObject per worker layer on its consumer group's lag; the Deployments then leave replicas to KEDA. */
  autoscaling: z
    .object({
      /** Records of lag per replica (KEDA's lagThreshold). */
      lagThreshold: z.number().int().min(1).default(100),
      minReplicas: z.number().int().min(1).default(1),
      /** @default - the input topic's partitions (more consumers would idle) */
      maxReplicas: z.number().int().min(1).optional(),
      /** Namespace of the KEDA operator, admitted to the brokers' internal listener to read offsets. */
      kedaNamespace: dnsLabel.default('keda'),
    })
    .optional(),
  /** PodMonitors for the workers; the JMX exporter agent + a PodMonitor on the brokers and MirrorMaker 2. */
  monitoring: z
    .object({
      /** Labels the Prometheus' podMonitorSelector/ruleSelector match (kube-prometheus-stack: `release: <name>`). */
      selectorLabels: z.record(z.string()).default({}),
      /** Where the broker pods fetch the JMX exporter agent (a mirror when Maven Central is out of reach). @default Maven Central */
      jmxAgentUrl: z.string().url().optional(),
    })
    .optional(),
  /** A PrometheusRule per layer (needs monitoring: the alerts read the scraped series). */
  alerts: z
    .object({
      /** MirrorMaker 2 replication latency (ms, per-partition max) above which to alert for 5 minutes. */
      replicationLatencyMs: z.number().int().min(1).default(5000),
    })
    .optional(),
  /** A Grafana dashboard per layer (ConfigMap for the sidecar), panels from contracts/dashboard-panels.ts. */
  dashboards: z.object({ folder: z.string().min(1).default('continuum-ddnn') }).optional(),
});
export type OperationsSpec = z.infer<typeof OperationsSpec>;

export const ImageRef = z
  .object({
    repository: z.string().min(1),
    tag: z.string().min(1).optional(),
    digest: z.string().regex(/^sha256:[a-f0-9]{64}$/).optional(),
  })
  .refine((i) => i.tag !== undefined || i.digest !== undefined, { message: 'needs a tag or a digest' })
  .refine((i) => i.tag !== 'latest', { message: 'tag must be pinned, not latest', path: ['tag'] });
export type ImageRef = z.infer<typeof ImageRef>;

/**
 * The pipeline's training Job (constructs/k8s/training-job.ts) in one layer's cluster: it replays that cluster's
 * `<prefix>.dataset.train` topic (filled by `npm run pipeline -- ingest`) and writes checkpoints and the trained model
 * to a volume. Off unless given: training is occasional work an operator starts, not part of serving.
 */
export const TrainingSpec = z.object({
  /** Layer whose cluster holds the dataset topics and runs the Job (usually the cloud). */
  layer: z.string().min(1),
  /** Trainer image (models/Dockerfile). */
  image: ImageRef,
  /** Architecture spec name in the image (models/architectures/). */
  architecture: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  epochs: z.number().int().min(1).max(10_000).default(30),
  batchSize: z.number().int().min(1).max(4096).default(32),
  /** Exits to train; the others are evaluated only. @default - all */
  exits: z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/)).min(1).optional(),
  resources: Resources.default({ cpu: '2', memory: '4Gi' }),
  storage: quantity.default('5Gi'),
  storageClass: z.string().optional(),
});
export type TrainingSpec = z.infer<typeof TrainingSpec>;

export const EnvironmentSchema = z
  .object({
    name: dnsLabel,
    description: z.string().min(1),
    namespace: dnsLabel.default('ddnn'),
    coordination: Coordination,
    transport: Transport,
    /** Early-exit threshold on the exit criterion (max softmax probability ≥ threshold answers). */
    threshold: z.number().min(0).max(1),
    exitCriterion: ExitCriterion.default('max-prob'),
    model: z.object({
      name: z.string().min(1),
      /**
       * Folder of the partitioned model: an http(s) URL, a path in the image, or `pvc://<claim>/<path>` (a volume the
       * operator fills); each worker gets `<location>/<subModel>`.
       */
      location: z.string().min(1),
      /**
       * A registered version (`npm run pipeline -- register`): `location` is then the registry folder (the model
       * bucket) holding `<version>/<layer>/`, each worker loads `<location>/<version>/<layer>`, and the manifests carry
       * the version (InferenceLayer's registry reference). @default - `location` is one partitioned model folder
       */
      version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/).optional(),
    }),
    workerImage: ImageRef,
    topics: z
      .object({
        prefix: z.string().regex(/^[a-zA-Z0-9._-]+$/).default('ddnn'),
      })
      .default({}),
    /** Layers in chain order: the first faces the devices, each worker forwards to the next layer's worker. */
    layers: z.array(LayerSpec).min(1),
    federation: z
      .object({
        engine: z.enum(['kubefed', 'karmada', 'none']).default('kubefed'),
        /** Layer whose cluster hosts the federation control plane. */
        hostLayer: z.string().optional(),
      })
      .default({}),
    security: z
      .object({
        /** Security of the external (cross-layer) listener; the internal listener stays inside NetworkPolicies. */
        externalListener: z.enum(['SASL_SSL', 'PLAINTEXT']).default('SASL_SSL'),
      })
      .default({}),
    cloud: CloudSpec.optional(),
    operations: OperationsSpec.default({}),
    training: TrainingSpec.optional(),
    /**
     * Local runs only (npm start, npm run sweep): CPU cores each layer's processes may use (its brokers, ZooKeeper,
     * the MirrorMaker 2 next to it, its workers) and `devices` for the simulated devices — the separate machines of a
     * real continuum, on one machine. Enforced with cgroup CPU quotas where writable (runtime/process/cpu-groups.ts).
     */
    localCpu: z
      .record(z.string().regex(/^[a-z0-9-]{1,63}$/, 'must be a layer name or "devices"'), z.number().min(0.05, 'at least 0.05 CPU').max(64))
      .optional(),
    /**
     * The devices of this environment: simulated ones in local runs (runtime/devices), and in the manifests one SCRAM
     * user, one reply topic `<prefix>.replies.<id>` and ACLs per device (a device reads only its own answers).
     */
    devices: z
      .object({
        count: z.number().int().min(1).max(1000).optional(),
        /** Device ids (also their SCRAM user names). @default device-0 … device-<count-1> */
        ids: z.array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 of [A-Za-z0-9_-] (a SCRAM user, a topic suffix and a Secret key)')).min(1).max(1000).optional(),
        /** Secret (in the clusters devices log in to) holding each device's SCRAM password under the key `<id>`. @default 'kafka-device-credentials' */
        secretName: dnsLabel.optional(),
      })
      .default({})
      .superRefine((d, ctx) => {
        if (d.ids && d.count !== undefined && d.ids.length !== d.count)
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['count'], message: `count (${d.count}) must equal the number of ids (${d.ids.length}); give one of them` });
        d.ids?.forEach((id, i) => {
          if (d.ids!.indexOf(id) !== i) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['ids', i], message: `device id "${id}" is used twice` });
        });
      })
      // ids and secretName stay optional in the output: deviceIds() and deviceSecretName() resolve them.
      .transform((d) => ({ ...d, count: d.ids?.length ?? d.count ?? 1 })),
  })
  .superRefine((env, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });

    const names = env.layers.map((l) => l.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) issue(['layers', i, 'name'], `layer name "${n}" is used twice`);
    });
    if (env.training && !names.includes(env.training.layer))
      issue(['training', 'layer'], `layer "${env.training.layer}" is not one of the layers (${names.join(', ')})`);

    env.layers.forEach((layer, i) => {
      const at = (...p: (string | number)[]) => ['layers', i, ...p];
      const { brokers, quorum } = layer.kafka;
      const t = layer.topics;
      if (t.replicationFactor > brokers)
        issue(at('topics', 'replicationFactor'), `replicationFactor (${t.replicationFactor}) must be ≤ kafka.brokers (${brokers})`);
      if (t.minInSyncReplicas > t.replicationFactor)
        issue(at('topics', 'minInSyncReplicas'), `minInSyncReplicas (${t.minInSyncReplicas}) must be ≤ replicationFactor (${t.replicationFactor})`);
      if (quorum > 1 && quorum % 2 === 0)
        issue(at('kafka', 'quorum'), `quorum (${quorum}) must be odd: an even quorum tolerates no more failures than one less`);
      if (layer.kafka.engine === 'strimzi' && env.coordination !== 'kraft')
        issue(at('kafka', 'engine'), `engine "strimzi" needs coordination "kraft" (Strimzi runs no ZooKeeper since 0.46), not "${env.coordination}"`);
      if (layer.kafka.engine === 'strimzi' && quorum > brokers)
        issue(at('kafka', 'quorum'), `quorum (${quorum}) must be ≤ kafka.brokers (${brokers}): Strimzi's controllers are the first brokers`);
      const scaling = env.operations.autoscaling;
      if (layer.worker && scaling && (scaling.maxReplicas ?? t.partitions) > t.partitions)
        issue(['operations', 'autoscaling', 'maxReplicas'], `maxReplicas (${scaling.maxReplicas}) must be ≤ topics.partitions of layer "${layer.name}" (${t.partitions}): extra consumers would sit idle`);
      if (layer.worker && scaling && scaling.minReplicas > (scaling.maxReplicas ?? t.partitions))
        issue(['operations', 'autoscaling', 'minReplicas'], `minReplicas (${scaling.minReplicas}) must be ≤ maxReplicas (${scaling.maxReplicas ?? `${t.partitions}, the partitions of layer "${layer.name}"`})`);
      if (layer.worker && layer.worker.replicas > t.partitions)
        issue(at('worker', 'replicas'), `worker.replicas (${layer.worker.replicas}) must be ≤ topics.partitions (${t.partitions}): extra consumers would sit idle`);
      if (layer.cluster.kind === 'gke' && !env.cloud) issue(['cloud'], `layer "${layer.name}" runs on GKE, so cloud (project, region, zone) is required`);
      if (layer.cluster.kind === 'on-prem' && !layer.cluster.nodes.some((n) => n.role === 'server'))
        issue(at('cluster', 'nodes'), 'an on-prem cluster needs at least one node with role "server"');
    });

    for (const key of Object.keys(env.localCpu ?? {})) {
      if (key !== 'devices' && !names.includes(key)) issue(['localCpu', key], `"${key}" is neither a layer (${names.join(', ')}) nor "devices"`);
    }

    const workers = env.layers.filter((l) => l.worker);
    if (workers.length === 0) issue(['layers'], 'at least one layer must run a worker (worker.subModel)');
    const firstWorker = env.layers.findIndex((l) => l.worker);
    env.layers.forEach((l, i) => {
      if (i > firstWorker && !l.worker) issue(['layers', i, 'worker'], `layer "${l.name}" sits after the first worker, so it must run a worker to continue the chain`);
    });
    if (env.operations.alerts && !env.operations.monitoring)
      issue(['operations', 'alerts'], 'alerts read the series the monitoring PodMonitors scrape: set operations.monitoring too');
    const kinds = new Set(env.layers.map((l) => l.cluster.kind));
    if (kinds.has('local') && kinds.size > 1) issue(['layers'], 'cluster.kind "local" cannot be mixed with real clusters');
    if (env.federation.engine !== 'none')
      env.layers.forEach((l, i) => {
        if (l.cluster.kind === 'gke' && !l.cluster.apiEndpoint)
          issue(['layers', i, 'cluster', 'apiEndpoint'], `federation.engine "${env.federation.engine}" needs the API endpoint of GKE layer "${l.name}"`);
        if (l.cluster.kind === 'local') issue(['federation', 'engine'], 'local clusters cannot be federated: use "none"');
      });
    if (env.federation.hostLayer !== undefined && !names.includes(env.federation.hostLayer))
      issue(['federation', 'hostLayer'], `hostLayer "${env.federation.hostLayer}" is not a layer (${names.join(', ')})`);
  });

/** The environment's device ids: `devices.ids`, or device-0 … device-<count-1> (the simulator's names). */
export function deviceIds(env: Pick<Environment, 'devices'>): string[] {
  return env.devices.ids ?? Array.from({ length: env.devices.count }, (_, i) => `device-${i}`);
}

/** The Secret holding each device's SCRAM password (key = device id). */
export const deviceSecretName = (env: Pick<Environment, 'devices'>): string => env.devices.secretName ?? 'kafka-device-credentials';

/** What an environment file writes (defaults may be left out). */
export type EnvironmentInput = z.input<typeof EnvironmentSchema>;
/** A validated environment with every default filled in. */
export type Environment = z.output<typeof EnvironmentSchema>;

/** Thrown for an invalid environment; the message lists every offending field by path. */
export class InvalidEnvironmentError extends Error {
  constructor(
    readonly environment: string,
    readonly issues: z.ZodIssue[],
  ) {
    super(
      `environment "${environment}" is invalid:\n` +
        issues.map((i) => `  - ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('\n'),
    );
    this.name = 'InvalidEnvironmentError';
  }
}

export function parseEnvironment(input: unknown): Environment {
  const result = EnvironmentSchema.safeParse(input);
  if (!result.success) {
    const name = typeof input === 'object' && input !== null && 'name' in input ? String((input as { name: unknown }).name) : '?';
    throw new InvalidEnvironmentError(name, result.error.issues);
  }
  return result.data;
}
