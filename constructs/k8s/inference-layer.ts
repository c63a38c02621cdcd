/**
 * One continuum layer's early-exit workers: a Deployment of the runtime/ worker image serving this layer's
 * sub-model, wired to its Kafka topics, with probes on the worker's HTTP endpoints and a metrics Service.
 * Replicas are tied to partitions: a consumer group never has more useful members than its topic has partitions.
 */
import { ApiObject, App, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { SCRAM_MECHANISM } from '../../contracts/kafka/security';
import { WORKER_DEFAULTS, WORKER_ENV, WORKER_HTTP } from '../../contracts/worker-env';
import { IMAGE_USERS } from '../../contracts/versions';
import type { KafkaClientSecurity } from './kafka-endpoint';
import type { TopicCatalog } from './kafka-topics';
import { physicalName } from './names';
import { memoryBytes, standardLabels } from './pod-defaults';

/** Where a model volume (modelLocation pvc://…) is mounted in the worker. */
const MODEL_MOUNT = '/models';


/** Credentials for a Kafka cluster reached over its WAN listener (SASL_SSL, SCRAM-SHA-512). */

/** A topic in a cluster other than the worker's own, reached through its WAN listener. */
export interface RemoteTopic {
  readonly bootstrapServers: string;
  readonly topic: string;
  /** Set when the remote listener is SASL_SSL. @default - PLAINTEXT */
  readonly security?: KafkaClientSecurity;
}

export interface InferenceLayerProps {
  /** Continuum layer name: edge, fog, cloud… */
  readonly layer: string;
  /**
   * Deployment name (and prefix of its Service); give every layer cluster the same one when federation places one
   * workload. @default - derived from the construct's path
   */
  readonly name?: string;
  /**
   * Leave the Deployment out of this chart (a federation control plane places it instead); its manifest stays
   * available as `deploymentManifest`. @default false
   */
  readonly federated?: boolean;
  /** Worker image, pinned by tag or digest. */
  readonly image: string;
  /**
   * Sub-model folder (manifest.json + model.json): an http(s) URL, a path in the image, or
   * `pvc://<claim>/<path>` to mount that PersistentVolumeClaim read-only at /models and read `<path>` from it.
   */
  readonly modelLocation?: string;
  /**
   * The model registry entry this layer serves (issue 12): the model bucket that `infra/` creates holds each
   * registered version as `<location>/<version>/<layer>/` (what `npm run pipeline -- register --out` writes). Rendered
   * as the annotations `ddnn.io/model`, `ddnn.io/model-version` and `ddnn.io/model-registry` on the Deployment and its
   * pods, so the version is part of the manifests; without `modelLocation` the worker loads
   * `<location>/<version>/<layer>`. Running workers change version through the control topic (`pipeline rollout`), not
   * by a new pod template. @default - none (the worker serves `modelLocation`)
   */
  readonly registry?: ModelRegistryReference;
  /** Topics of this layer's own cluster; the input and dead-letter topics must be among them. */
  readonly topics: TopicCatalog;
  readonly inputTopic: string;
  readonly deadLetterTopic: string;
  /** Where features go when no exit is confident; the last layer has none. @default - last layer */
  readonly next?: { readonly topic: string } | RemoteTopic;
  /** Where answers go: this cluster (mirrored back by MM2) or the devices' cluster. */
  readonly reply: { readonly topic: string } | RemoteTopic;
  /**
   * Device ids: each device has its own reply topic `<reply.topic>.<id>` (only that device may read it), and a
   * request may name no other reply topic. @default - one reply topic, `reply.topic`, shared by all devices
   */
  readonly devices?: string[];
  /** @default 1 */
  readonly replicas?: number;
  /**
   * Something else sets the replica count (a LagAutoscaler's ScaledObject): the Deployment leaves `spec.replicas`
   * out, so applying the manifests again never resets what the autoscaler chose. @default false
   */
  readonly autoscaled?: boolean;
  /** @default 0.8 */
  readonly threshold?: number;
  /** @default 'max-prob' */
  readonly exitCriterion?: 'max-prob' | 'entropy';
  /** @default { maxSize: 16, maxWaitMs: 0 } (the worker's own defaults, WORKER_DEFAULTS) */
  readonly batch?: { readonly maxSize: number; readonly maxWaitMs: number };
  /** @default `ddnn.<layer>.workers` */
  readonly groupId?: string;
  /** @default { cpu: '1', memory: '2Gi' } */
  readonly resources?: { readonly cpu: string; readonly memory: string };
}

export interface ModelRegistryReference {
  /** architecture / model name, e.g. compact-branchynet */
  readonly model: string;
  /** content-hash version (printed by `pipeline register`) */
  readonly version: string;
  /** folder (http(s) URL or gs://… of the model bucket, or a path) holding one sub-folder per version */
  readonly location: string;
}

const isRemote = (t: { topic: string } | RemoteTopic): t is RemoteTopic => 'bootstrapServers' in t;

export class InferenceLayer extends Construct {
  readonly layer: string;
  readonly deployment: kplus.Deployment;
  readonly metricsService: kplus.Service;
  /** Labels of the worker pods (NetworkPolicies and federation overrides use them). */
  readonly podLabels: Record<string, string>;
  /** Every topic the worker touches, with the cluster it lives in ('local' or a bootstrap list). */
  readonly topicUses: { topic: string; cluster: 'local' | string; role: 'input' | 'next' | 'reply' | 'dead-letter' }[];
  readonly replicas: number;
  readonly autoscaled: boolean;
  readonly name: string;
  /** What the worker consumes: an autoscaler reads this group's lag on this topic through these servers. */
  readonly input: {
    readonly topic: string;
    readonly partitions: number;
    readonly groupId: string;
    readonly bootstrapServers: string;
    /** The worker's login to its own cluster. @default - PLAINTEXT */
    readonly security?: KafkaClientSecurity;
  };
  /** Labels the Deployment selects its pods by (identical in every layer). */
  readonly selector: Record<string, string>;
  /** The Deployment as synthesized (the federation template and per-cluster overrides are cut from it). */
  readonly deploymentManifest: () => Record<string, any>;

  constructor(scope: Construct, id: string, props: InferenceLayerProps) {
    super(scope, id);
    const { layer, topics } = props;
    this.layer = layer;
    const replicas = (this.replicas = props.replicas ?? 1);
    const where = `InferenceLayer ${layer}`;
    const input = topics.topic(props.inputTopic);
    topics.topic(props.deadLetterTopic);
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`${where}: replicas (${replicas}) must be an integer ≥ 1`);
    if (replicas > input.partitions)
      throw new Error(`${where}: replicas (${replicas}) must be ≤ partitions of ${input.name} (${input.partitions}): extra consumers sit idle`);
    const threshold = props.threshold ?? 0.8;
    if (!(threshold >= 0 && threshold <= 1)) throw new Error(`${where}: threshold (${threshold}) must be in [0, 1]`);
    if (!/:[^:@/]+$/.test(props.image) && !props.image.includes('@sha256:'))
      throw new Error(`${where}: image (${props.image}) must be pinned by tag or digest`);
    if (props.image.endsWith(':latest')) throw new Error(`${where}: image (${props.image}) must not use :latest`);
    if (props.next && !isRemote(props.next)) topics.topic(props.next.topic);
    if (props.devices?.length === 0) throw new Error(`${where}: devices must not be empty (leave it out for one shared reply topic)`);
    const replyTopics = props.devices ? props.devices.map((d) => `${props.reply.topic}.${d}`) : [props.reply.topic];
    if (!isRemote(props.reply)) replyTopics.forEach((t) => topics.topic(t));

    this.topicUses = [
      { topic: props.inputTopic, cluster: 'local', role: 'input' },
      { topic: props.deadLetterTopic, cluster: 'local', role: 'dead-letter' },
      ...replyTopics.map((topic) => ({ topic, cluster: isRemote(props.reply) ? props.reply.bootstrapServers : 'local', role: 'reply' as const })),
    ];
    if (props.next)
      this.topicUses.push({ topic: props.next.topic, cluster: isRemote(props.next) ? props.next.bootstrapServers : 'local', role: 'next' });

    const name = (this.name = physicalName(this, props.name, where, 50));
    this.podLabels = standardLabels({ name, component: 'inference-worker', layer });
    this.selector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'inference-worker' };
    const local = topics.cluster.bootstrapServers;
    const groupId = props.groupId ?? `ddnn.${layer}.workers`;
    this.input = { topic: input.name, partitions: input.partitions, groupId, bootstrapServers: local, security: topics.cluster.clientSecurity };
    const batch = props.batch ?? { maxSize: WORKER_DEFAULTS.batchMaxSize, maxWaitMs: WORKER_DEFAULTS.batchMaxWaitMs };
    const reg = props.registry;
    if (reg && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(reg.version)) throw new Error(`${where}: registry.version (${reg.version}) is not a model version`);
    const modelLocation = props.modelLocation ?? (reg && `${reg.location.replace(/\/$/, '')}/${reg.version}/${layer}`);
    if (!modelLocation) throw new Error(`${where}: give modelLocation or registry`);
    const fromClaim = /^pvc:\/\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/(.+)$/.exec(modelLocation);
    if (modelLocation.startsWith('pvc://') && !fromClaim)
      throw new Error(`${where}: modelLocation (${modelLocation}) must be pvc://<claim>/<path>`);
    const modelAnnotations = reg ? { 'ddnn.io/model': reg.model, 'ddnn.io/model-version': reg.version, 'ddnn.io/model-registry': reg.location } : undefined;
    const env: Record<string, kplus.EnvValue> = {
      [WORKER_ENV.model]: kplus.EnvValue.fromValue(fromClaim ? `${MODEL_MOUNT}/${fromClaim[3]}` : modelLocation),
      [WORKER_ENV.brokers]: kplus.EnvValue.fromValue(local),
      [WORKER_ENV.inputTopic]: kplus.EnvValue.fromValue(props.inputTopic),
      [WORKER_ENV.groupId]: kplus.EnvValue.fromValue(groupId),
      [WORKER_ENV.answerBrokers]: kplus.EnvValue.fromValue(isRemote(props.reply) ? props.reply.bootstrapServers : local),
      // Answers may only go to the continuum's reply topics, whatever a request's header says.
      [WORKER_ENV.replyTopicPattern]: kplus.EnvValue.fromValue(
        props.devices ? `^${escapeRegExp(props.reply.topic)}\\.(${props.devices.map(escapeRegExp).join('|')})$` : `^${escapeRegExp(props.reply.topic)}$`,
      ),
      [WORKER_ENV.dlqTopic]: kplus.EnvValue.fromValue(props.deadLetterTopic),
      [WORKER_ENV.threshold]: kplus.EnvValue.fromValue(String(threshold)),
      [WORKER_ENV.exitCriterion]: kplus.EnvValue.fromValue(props.exitCriterion ?? 'max-prob'),
      [WORKER_ENV.batchMaxSize]: kplus.EnvValue.fromValue(String(batch.maxSize)),
      [WORKER_ENV.batchMaxWaitMs]: kplus.EnvValue.fromValue(String(batch.maxWaitMs)),
      [WORKER_ENV.httpPort]: kplus.EnvValue.fromValue(String(WORKER_HTTP.port)),
      [WORKER_ENV.backend]: kplus.EnvValue.fromValue('auto'),
      [WORKER_ENV.logLevel]: kplus.EnvValue.fromValue('info'),
    };
    if (props.next) {
      env[WORKER_ENV.nextTopic] = kplus.EnvValue.fromValue(props.next.topic);
      env[WORKER_ENV.nextBrokers] = kplus.EnvValue.fromValue(isRemote(props.next) ? props.next.bootstrapServers : local);
    }
    // The worker has one login (DDNN_KAFKA_*, runtime/worker/config.ts): for the clusters other than its own, or,
    // with DDNN_KAFKA_SECURITY_SCOPE=all, for every cluster. Two clusters with different logins (a fog worker
    // forwarding to the cloud and answering to the edge, both over the WAN; or a secured own cluster and another
    // remote one) cannot share it: refuse here rather than send one cluster's CA and password to the other.
    const own = topics.cluster.clientSecurity;
    const remotes = [props.next, props.reply].filter((t): t is RemoteTopic => !!t && isRemote(t));
    const logins = [...(own ? [{ bootstrapServers: local, security: own }] : []), ...remotes];
    const distinct = new Map(logins.map((t) => [JSON.stringify([own ? null : t.bootstrapServers, t.security ?? null]), t]));
    if (distinct.size > 1)
      throw new Error(
        (own
          ? `${where}: its own cluster (${local}) is secured and ${remotes.map((t) => t.bootstrapServers).join(' and ')} needs another login`
          : `${where}: next (${remotes[0].bootstrapServers}) and reply (${remotes[1].bootstrapServers}) are two remote clusters`) +
          ", but the worker has one login (DDNN_KAFKA_*): keep one of them in this layer's cluster (e.g. transport 'mirrored')",
      );
    const remote = own ? { security: own } : remotes.find((t) => !!t.security);
    // A secured own cluster: the one login applies to it too.
    if (own) env[WORKER_ENV.kafkaSecurityScope] = kplus.EnvValue.fromValue('all');
    const caMount = '/etc/ddnn/kafka-ca';
    if (remote?.security) {
      const creds = kplus.Secret.fromSecretName(this, 'kafka-credentials', remote.security.credentialsSecretName);
      env[WORKER_ENV.kafkaSaslMechanism] = kplus.EnvValue.fromValue(SCRAM_MECHANISM.toLowerCase());
      env[WORKER_ENV.kafkaSaslUsername] = kplus.EnvValue.fromSecretValue({ secret: creds, key: 'username' });
      env[WORKER_ENV.kafkaSaslPassword] = kplus.EnvValue.fromSecretValue({ secret: creds, key: 'password' });
      env[WORKER_ENV.kafkaTlsCaFile] = kplus.EnvValue.fromValue(`${caMount}/ca.crt`);
    }

    const resources = props.resources ?? { cpu: '1', memory: '2Gi' };
    const memMiB = Math.ceil(memoryBytes(resources.memory) / 2 ** 20);
    // Federated: the Deployment is built in a detached twin of this scope (same path, so the same path-derived
    // labels), never synthesized with this chart; the federation control plane places its manifest instead.
    this.deployment = new kplus.Deployment(props.federated ? detachedTwin(this) : this, 'deployment', {
      metadata: { name, labels: this.podLabels, annotations: modelAnnotations },
      podMetadata: { labels: this.podLabels, annotations: modelAnnotations },
      replicas,
      // Select by stable labels, not by construct address: the selector must match across layer clusters.
      select: false,
      // Replicas are spread over nodes and zones below (kplus' `spread: true` adds its terms again on every toJson).
      spread: false,
      // Workers are stateless consumers: start new ones before stopping old ones.
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.absolute(1),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
      automountServiceAccountToken: false,
      securityContext: {
        ensureNonRoot: true,
        user: IMAGE_USERS.worker,
        group: IMAGE_USERS.worker,
        fsGroup: IMAGE_USERS.worker,
      },
      // The worker finishes in-flight batches and commits on SIGTERM.
      terminationGracePeriod: Duration.seconds(30),
      containers: [
        {
          name: 'worker',
          image: props.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          envVariables: env,
          ports: [{ name: 'http', number: WORKER_HTTP.port }],
          startup: kplus.Probe.fromHttpGet(WORKER_HTTP.liveness, {
            port: WORKER_HTTP.port,
            periodSeconds: Duration.seconds(5),
            // Loading a model from a bucket can take a while on a cold node.
            failureThreshold: 60,
          }),
          liveness: kplus.Probe.fromHttpGet(WORKER_HTTP.liveness, { port: WORKER_HTTP.port, failureThreshold: 3 }),
          readiness: kplus.Probe.fromHttpGet(WORKER_HTTP.readiness, { port: WORKER_HTTP.port, failureThreshold: 2 }),
          resources: {
            cpu: { request: kplus.Cpu.millis(cpuMillis(resources.cpu)) },
            memory: { request: Size.mebibytes(memMiB), limit: Size.mebibytes(memMiB) },
          },
          securityContext: {
            ensureNonRoot: true,
            user: IMAGE_USERS.worker,
            group: IMAGE_USERS.worker,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            capabilities: { drop: [kplus.Capability.ALL] },
            seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
          },
        },
      ],
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: this.selector }));
    this.autoscaled = props.autoscaled ?? false;
    if (this.autoscaled) ApiObject.of(this.deployment).addJsonPatch(JsonPatch.remove('/spec/replicas'));
    // Spread replicas over nodes, then zones: losing a node leaves the layer serving. Preferred, not required: a
    // required zone term allowed one worker per zone (paper-ha-p4's 4 cloud replicas in a one-zone GKE cluster
    // left 3 Pending), and replicas may outnumber nodes.
    this.deployment.scheduling.spread({ topology: kplus.Topology.HOSTNAME, weight: 100 });
    this.deployment.scheduling.spread({ topology: kplus.Topology.ZONE, weight: 50 });
    // tfjs and the model cache need a writable /tmp under a read-only root.
    const tmp = kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp', { sizeLimit: Size.mebibytes(512) });
    this.deployment.containers[0].mount('/tmp', tmp);
    if (fromClaim) {
      const claim = kplus.PersistentVolumeClaim.fromClaimName(this, 'model-claim', fromClaim[1]);
      const models = kplus.Volume.fromPersistentVolumeClaim(this, 'models', claim, { name: 'models', readOnly: true });
      this.deployment.containers[0].mount(MODEL_MOUNT, models, { readOnly: true });
    }
    if (remote?.security) {
      const ca = kplus.Volume.fromSecret(this, 'kafka-ca', kplus.Secret.fromSecretName(this, 'kafka-ca-secret', remote.security.caSecretName), {
        name: 'kafka-ca',
        items: { 'ca.crt': { path: 'ca.crt' } },
      });
      this.deployment.containers[0].mount(caMount, ca, { readOnly: true });
    }

    const deployment = this.deployment;
    this.deploymentManifest = () => ApiObject.of(deployment).toJson();

    this.metricsService = new kplus.Service(this, 'metrics', {
      metadata: {
        name: `${name}-metrics`,
        labels: this.podLabels,
        annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(WORKER_HTTP.port), 'prometheus.io/path': WORKER_HTTP.metrics },
      },
      selector: kplus.Pods.select(this, 'pods', { labels: this.selector }),
      ports: [{ name: 'http-metrics', port: WORKER_HTTP.port, targetPort: WORKER_HTTP.port }],
    });
  }
}

/** A scope with `scope`'s path in an app of its own: what is built there is never synthesized with this chart. */
function detachedTwin(scope: Construct): Construct {
  const chart = Chart.of(scope);
  const twin = new Chart(new App(), chart.node.id, { namespace: chart.namespace, labels: chart.labels });
  const below = scope.node.scopes.slice(scope.node.scopes.indexOf(chart) + 1);
  return below.reduce<Construct>((parent, s) => new Construct(parent, s.node.id), twin);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function cpuMillis(cpu: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(m)?$/.exec(cpu);
  if (!m) throw new Error(`"${cpu}" is not a CPU quantity (e.g. 500m, 1, 1.5)`);
  return m[2] ? Number(m[1]) : Math.round(Number(m[1]) * 1000);
}
