/**
 * Turns one environment into its Kubernetes manifests: one cdk8s App (one output folder) per layer cluster, plus
 * a `federation` App for the control plane when the environment is federated. The wiring between layers (who
 * produces where, what MirrorMaker 2 copies) comes from environments/topology.ts, the plan the local main job
 * uses too.
 */
import * as path from 'path';
import { App, Chart, type ChartProps, YamlOutputType } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { type Environment, type LayerPlan, type LayerSpec, deviceIds, deviceSecretName, kafkaAddressName, planContinuum } from '../environments';
import { ContinuumFederation, type FederationMember } from './k8s/continuum-federation';
import { InferenceLayer, type RemoteTopic } from './k8s/inference-layer';
import { type AclGrant, KafkaAccess, type ScramUser } from './k8s/kafka-access';
import { KafkaCluster, type KafkaWanSecurity, externalEndpoints } from './k8s/kafka-cluster';
import type { KafkaClientSecurity } from './k8s/kafka-endpoint';
import { KafkaTopics, type TopicCatalog } from './k8s/kafka-topics';
import { LayerNetworkPolicies } from './k8s/layer-network-policies';
import { MirrorMaker2 } from './k8s/mirror-maker2';
import { TrainingJob } from './k8s/training-job';
import { AlertRules } from './k8s/alert-rules';
import { BrokerMetrics } from './k8s/broker-metrics';
import { LayerDashboard } from './k8s/dashboard';
import { LagAutoscaler } from './k8s/lag-autoscaler';
import { WorkerMonitor } from './k8s/worker-monitor';
import { memoryBytes } from './k8s/pod-defaults';
import { STRIMZI_METRICS_PORT, StrimziKafkaAccess, StrimziKafkaCluster, StrimziKafkaTopics, StrimziMetrics, StrimziMirrorMaker2 } from './k8s/strimzi';

/** A Secret the operator must create before applying a layer's manifests (never synthesized: it holds credentials). */
export interface RequiredSecret {
  readonly name: string;
  readonly keys: string[];
  readonly purpose: string;
}

export interface LayerCluster {
  readonly layer: string;
  readonly app: App;
  readonly outdir: string;
  /** The layer's Kafka: StatefulSets (`kafka.engine` 'statefulset') or Strimzi resources ('strimzi'). */
  readonly kafka: KafkaCluster | StrimziKafkaCluster;
  readonly topics: TopicCatalog;
  /** SCRAM users and ACLs of the WAN listener (absent when it is PLAINTEXT or nobody logs in over it). */
  readonly access?: KafkaAccess | StrimziKafkaAccess;
  readonly worker?: InferenceLayer;
  readonly mirrorMakers: (MirrorMaker2 | StrimziMirrorMaker2)[];
  readonly requiredSecrets: RequiredSecret[];
}

export interface ContinuumManifests {
  readonly environment: Environment;
  readonly layers: LayerCluster[];
  readonly federation?: { readonly app: App; readonly outdir: string; readonly construct: ContinuumFederation };
}

const TLS_SECRET = 'kafka-tls';
/** Passwords of the SCRAM users other layers' workers and MirrorMaker 2 log in with (key = user name). */
const WAN_USERS_SECRET = 'kafka-wan-users';
/** SCRAM users a cluster accepts from other layers on its WAN listener. */
export const WAN_USERS = { worker: 'ddnn-worker', mirrorMaker: 'ddnn-mirror-maker' } as const;
type WanClient = keyof typeof WAN_USERS;
const clientSecurity = (peer: string, client: WanClient): KafkaClientSecurity => ({
  credentialsSecretName: client === 'worker' ? `kafka-${peer}-client` : `kafka-${peer}-mirror-maker`,
  caSecretName: `kafka-${peer}-ca`,
});
/** Consumer groups a device may use: `ddnn-device.<id>.<run>` (runtime/devices). */
const deviceGroupPrefix = (id: string) => `ddnn-device.${id}.`;

/** Nodes a layer's cluster has, when the environment says (spreads become hard anti-affinity when they fit). */
function nodeCount(layer: LayerSpec): number | undefined {
  if (layer.cluster.kind === 'gke') return layer.cluster.nodes;
  if (layer.cluster.kind === 'on-prem') return layer.cluster.nodes.length;
  return undefined;
}

function apiEndpoint(layer: LayerSpec): string {
  const c = layer.cluster;
  if (c.kind === 'on-prem') return c.apiEndpoint ?? `https://${c.nodes.find((n) => n.role === 'server')!.address}:6443`;
  if (c.kind === 'gke' && c.apiEndpoint) return c.apiEndpoint;
  throw new Error(`layer "${layer.name}": no Kubernetes API endpoint (cluster.apiEndpoint)`);
}

/** Address ranges allowed on a layer's WAN listener: the devices' entry point is open, others admit their peers. */
export function wanSources(env: Environment, layer: LayerSpec): string[] {
  const plan = planContinuum(env);
  // NodePort traffic is source-NATed to a node address, so an ipBlock cannot tell clients apart there: the WAN
  // listener's TLS + SASL and the site's firewall guard it instead.
  if (layer.kafka.external.type === 'NodePort') return ['0.0.0.0/0'];
  if (plan.requestLayer === layer.name || plan.entryLayer === layer.name)
    // Devices connect here: from the site's LAN on-prem, from the declared client ranges in the cloud.
    return layer.cluster.kind === 'gke' && env.cloud?.clientCidrs ? [...env.cloud.clientCidrs] : ['0.0.0.0/0'];
  const cidrs = new Set<string>();
  for (const peer of env.layers) {
    if (peer === layer) continue;
    // A GKE peer's egress is not pinned by this environment: fall back to TLS + SASL alone.
    if (peer.cluster.kind !== 'on-prem') return ['0.0.0.0/0'];
    peer.cluster.egressCidrs.forEach((c) => cidrs.add(c));
  }
  return [...cidrs];
}

export function synthesizableEnvironment(env: Environment): boolean {
  return env.layers.every((l) => l.cluster.kind !== 'local');
}

export function buildContinuum(env: Environment, outroot: string): ContinuumManifests {
  if (!synthesizableEnvironment(env))
    throw new Error(`environment "${env.name}" runs as local processes (cluster.kind local): there are no manifests to synthesize`);
  const plan = planContinuum(env);
  const secure = env.security.externalListener === 'SASL_SSL';
  const byName = new Map(env.layers.map((l) => [l.name, l]));
  const federated = env.federation.engine !== 'none';
  const namespace = env.namespace;
  const chartProps: ChartProps = { namespace, labels: { 'ddnn.dev/environment': env.name } };
  const ops = env.operations;

  // One reply topic per device (as the local launcher does): ACLs then let each device read only its own answers.
  const devices = deviceIds(env);
  const perDevice = (topic: string) => (topic === plan.replyTopic ? devices.map((d) => `${topic}.${d}`) : [topic]);

  const layers = plan.layers.map((lp) => buildLayer(lp));

  function buildLayer(lp: LayerPlan): LayerCluster {
    const { layer } = lp;
    const outdir = path.join(outroot, env.name, layer.name);
    const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
    const requiredSecrets: RequiredSecret[] = [];
    const remote = (peerName: string, topic: string, client: WanClient): RemoteTopic => {
      const peer = byName.get(peerName)!;
      const security = secure ? clientSecurity(peerName, client) : undefined;
      if (security && !requiredSecrets.some((s) => s.name === security.credentialsSecretName)) {
        const user = WAN_USERS[client];
        requiredSecrets.push({
          name: security.credentialsSecretName,
          keys: ['username', 'password'],
          purpose: `SCRAM-SHA-512 login to the ${peerName} cluster's WAN listener: username \`${user}\`, the password under key \`${user}\` of \`${WAN_USERS_SECRET}\` in the ${peerName} cluster`,
        });
        if (!requiredSecrets.some((s) => s.name === security.caSecretName))
          requiredSecrets.push({
            name: security.caSecretName,
            keys: ['ca.crt'],
            purpose:
              peer.kafka.engine === 'strimzi'
                ? `CA certificate of the ${peerName} brokers: \`ca.crt\` of Secret \`kafka-cluster-ca-cert\`, which Strimzi creates in the ${peerName} cluster`
                : `CA certificate that signed the ${peerName} brokers' WAN certificates`,
          });
      }
      return { bootstrapServers: externalEndpoints(peer.kafka.external, peer.kafka.brokers).join(','), topic, security };
    };

    new NamespaceChart(app, '00-namespace', { name: namespace, layer: layer.name, environment: env.name });

    const nodes = nodeCount(layer);
    const strimzi = layer.kafka.engine === 'strimzi';
    // Strimzi makes the brokers' certificates itself; the StatefulSets read theirs from a Secret.
    const wanSecurity: KafkaWanSecurity | undefined = secure && !strimzi ? { tlsSecretName: TLS_SECRET } : undefined;
    if (wanSecurity)
      requiredSecrets.push({ name: TLS_SECRET, keys: ['keystore.p12', 'keystore-password'], purpose: 'broker certificate (PKCS12) for the WAN listener' });
    const sources = wanSources(env, layer);
    const kafkaChart = new Chart(app, '10-kafka', chartProps);
    const external =
      layer.kafka.external.type === 'LoadBalancer'
        ? {
            ...layer.kafka.external,
            sourceRanges: sources.includes('0.0.0.0/0') ? undefined : sources,
            // The addresses infra/ reserves for this layer (same naming function on both sides).
            staticAddressNames:
              layer.cluster.kind === 'gke' ? Array.from({ length: layer.kafka.brokers }, (_, i) => kafkaAddressName(env.name, layer.name, i)) : undefined,
          }
        : layer.kafka.external;
    const common = {
      // Fixed names (one cluster per layer namespace): deployed brokers keep their volumes across re-synths.
      name: 'kafka',
      brokers: layer.kafka.brokers,
      quorum: layer.kafka.quorum,
      layer: layer.name,
      external,
      defaultReplicationFactor: layer.topics.replicationFactor,
      minInSyncReplicas: layer.topics.minInSyncReplicas,
      messageMaxBytes: layer.kafka.messageMaxBytes,
      storage: layer.kafka.storage,
      storageClass: layer.kafka.storageClass,
      resources: layer.kafka.resources,
    };
    const kafka = strimzi
      ? new StrimziKafkaCluster(kafkaChart, 'kafka', { ...common, secureWan: secure, wanSources: sources.includes('0.0.0.0/0') ? undefined : sources })
      : new KafkaCluster(kafkaChart, 'kafka', {
          ...common,
          coordination: env.coordination,
          wanSecurity,
          antiAffinity: nodes !== undefined && nodes >= layer.kafka.brokers ? 'required' : 'preferred',
        });

    const topicsChart = new Chart(app, '20-topics', chartProps);
    // Each device's reply topic has one partition: one reader, answers in order.
    const declared = lp.topics.flatMap((t) => (t.purpose === 'replies' ? perDevice(t.name).map((name) => ({ ...t, name, partitions: 1 })) : [t]));
    const topics: TopicCatalog =
      kafka instanceof StrimziKafkaCluster
        ? new StrimziKafkaTopics(topicsChart, 'topics', { cluster: kafka, topics: declared })
        : new KafkaTopics(topicsChart, 'topics', { cluster: kafka, topics: declared });

    let access: KafkaAccess | StrimziKafkaAccess | undefined;
    if (secure) {
      const { users, acls } = wanAccess(lp);
      if (users.length > 0) {
        const accessChart = new Chart(app, '25-access', chartProps);
        access =
          kafka instanceof StrimziKafkaCluster
            ? new StrimziKafkaAccess(accessChart, 'access', { cluster: kafka, users, acls })
            : new KafkaAccess(accessChart, 'access', { cluster: kafka, users, acls });
        for (const s of access.secrets)
          requiredSecrets.push({
            name: s.name,
            keys: s.keys,
            purpose:
              s.name === WAN_USERS_SECRET
                ? 'SCRAM-SHA-512 passwords of the users other layers log in with (key = user name); no , ] or = in a password'
                : 'SCRAM-SHA-512 password of each device (key = device id, as in devices.ids); no , ] or = in a password',
          });
      }
    }

    const mirrorMakers: (MirrorMaker2 | StrimziMirrorMaker2)[] = [];
    if (lp.mirrorsIn.length > 0) {
      const mmChart = new Chart(app, '30-mirror-maker2', chartProps);
      // One instance per source: with more than two layers every upper layer answers into the same reply topic of
      // the entry cluster (fan-in, not a cycle), and a WAN outage towards one source leaves the others flowing.
      for (const flow of lp.mirrorsIn) {
        const r = remote(flow.source, flow.topics[0], 'mirrorMaker');
        const mm = {
          name: `mirror-maker2-${flow.source}-to-${layer.name}`,
          targetAlias: layer.name,
          target: kafka,
          targetTopics: topics,
          sources: [
            {
              alias: flow.source,
              bootstrapServers: r.bootstrapServers,
              brokers: byName.get(flow.source)!.kafka.brokers,
              topics: flow.topics.flatMap(perDevice),
              security: r.security && { ...r.security, username: WAN_USERS.mirrorMaker },
            },
          ],
        };
        mirrorMakers.push(strimzi ? new StrimziMirrorMaker2(mmChart, `mm2-${flow.source}`, mm) : new MirrorMaker2(mmChart, `mm2-${flow.source}`, mm));
      }
    }

    // The pipeline's training Job (environment `training`), in the cluster holding the dataset topics.
    const training = env.training;
    if (training && training.layer === layer.name) {
      new TrainingJob(new Chart(app, '35-training', chartProps), 'training', {
        cluster: kafka,
        image: pinnedImage(training.image),
        architecture: training.architecture,
        trainTopic: `${env.topics.prefix}.dataset.train`,
        evalTopic: `${env.topics.prefix}.dataset.eval`,
        epochs: training.epochs,
        batchSize: training.batchSize,
        exits: training.exits,
        resources: training.resources,
        storage: { size: training.storage, storageClassName: training.storageClass },
        layer: layer.name,
      });
    }

    let worker: InferenceLayer | undefined;
    const w = lp.worker;
    if (w && layer.worker) {
      const workerChart = new Chart(app, '40-inference', chartProps);
      worker = new InferenceLayer(workerChart, 'worker', {
        // The same name in every layer cluster: federation places one workload.
        name: 'ddnn-worker',
        layer: layer.name,
        image: imageRef(env),
        // A registered version: the worker loads <registry>/<version>/<layer> and the manifests name the version.
        ...(env.model.version
          ? {
              registry: { model: env.model.name, version: env.model.version, location: env.model.location },
              modelLocation: `${env.model.location.replace(/\/$/, '')}/${env.model.version}/${w.subModel}`,
            }
          : { modelLocation: `${env.model.location.replace(/\/$/, '')}/${w.subModel}` }),
        topics,
        inputTopic: w.input.topic,
        deadLetterTopic: w.deadLetter.topic,
        next: w.next && (w.next.layer === layer.name ? { topic: w.next.topic } : remote(w.next.layer, w.next.topic, 'worker')),
        reply: w.replyLayer === layer.name ? { topic: w.replyTopic } : remote(w.replyLayer, w.replyTopic, 'worker'),
        devices,
        replicas: layer.worker.replicas,
        threshold: env.threshold,
        exitCriterion: env.exitCriterion,
        batch: { maxSize: layer.worker.batch.maxSize, maxWaitMs: layer.worker.batch.maxDelayMs },
        groupId: w.groupId,
        resources: layer.worker.resources,
        federated,
        autoscaled: !!ops.autoscaling,
      });
    }

    // Operations add-ons (README "Operating it"): KEDA, Prometheus Operator, Grafana sidecar objects.
    const metricsEndpoints: { selector: Record<string, string>; port: number }[] = [];
    let autoscaler: LagAutoscaler | undefined;
    if (ops.autoscaling || ops.monitoring || ops.alerts || ops.dashboards) {
      const opsChart = new Chart(app, '45-operations', chartProps);
      if (ops.autoscaling && worker)
        autoscaler = new LagAutoscaler(opsChart, 'autoscaler', {
          worker,
          lagThreshold: ops.autoscaling.lagThreshold,
          minReplicas: ops.autoscaling.minReplicas,
          maxReplicas: ops.autoscaling.maxReplicas,
        });
      if (ops.monitoring) {
        const monitorLabels = ops.monitoring.selectorLabels;
        if (worker) new WorkerMonitor(opsChart, 'worker-monitor', { worker, labels: monitorLabels });
        // The project's StatefulSets get the java agent; Strimzi's images carry it and take the rules as metricsConfig.
        if (kafka instanceof KafkaCluster) {
          const jmx = new BrokerMetrics(opsChart, 'broker-metrics', {
            configMapName: 'kafka-jmx-exporter',
            targets: [
              { workload: kafka.statefulSet, container: 'kafka' },
              ...mirrorMakers.filter((m): m is MirrorMaker2 => m instanceof MirrorMaker2).map((m) => ({ workload: m.deployment, container: 'mirror-maker2' })),
            ],
            agentUrl: ops.monitoring.jmxAgentUrl,
            monitorLabels,
          });
          for (const m of jmx.podMonitors) metricsEndpoints.push({ selector: m.toJson().spec.selector.matchLabels, port: jmx.port });
        } else {
          const jmx = new StrimziMetrics(opsChart, 'broker-metrics', {
            cluster: kafka,
            mirrorMakers: mirrorMakers.filter((m): m is StrimziMirrorMaker2 => m instanceof StrimziMirrorMaker2),
            layer: layer.name,
            configMapName: 'kafka-jmx-exporter',
            monitorLabels,
          });
          for (const selector of jmx.podSelectors) metricsEndpoints.push({ selector, port: STRIMZI_METRICS_PORT });
        }
      }
      if (ops.alerts)
        new AlertRules(opsChart, 'alerts', {
          layer: layer.name,
          workerDeployment: worker?.name,
          mirrorMaker: mirrorMakers.length > 0,
          replicationLatencyMs: ops.alerts.replicationLatencyMs,
          labels: ops.monitoring?.selectorLabels,
        });
      if (ops.dashboards) new LayerDashboard(opsChart, 'dashboard', { layer: layer.name, folder: ops.dashboards.folder });
    }

    const npChart = new Chart(app, '50-network-policies', chartProps);
    new LayerNetworkPolicies(npChart, 'policies', {
      defaultDenyName: 'default-deny-ingress',
      // Strimzi writes the brokers' policies from its listeners' networkPolicyPeers.
      kafka: kafka instanceof KafkaCluster ? kafka : undefined,
      wanSources: sources,
      workerSelectors: worker ? [worker.selector] : [],
      lagReaderNamespace: ops.autoscaling && worker ? ops.autoscaling.kedaNamespace : undefined,
      metricsEndpoints,
    });

    // With a federation engine the worker Deployment lives in the control plane's folder: count it here too.
    const placed = worker && federated ? [worker.deploymentManifest()] : [];
    // An autoscaled worker Deployment has no replicas of its own: count the most KEDA may start.
    const atMost = (o: Record<string, any>) =>
      autoscaler && o.kind === 'Deployment' && o.metadata?.name === worker?.name ? { ...o, spec: { ...o.spec, replicas: autoscaler.maxReplicas } } : o;
    checkCapacity(layer, [...app.charts.flatMap((c) => c.toJson()), ...placed].map(atMost));
    return { layer: layer.name, app, outdir, kafka, topics, access, worker, mirrorMakers, requiredSecrets };
  }

  /**
   * Who logs in to `lp`'s WAN listener and what each may do: other layers' workers write the topics they forward or
   * answer to, other layers' MirrorMaker 2 read the topics they copy, devices write requests here (request layer)
   * and read only their own reply topic (entry layer). Anything else is denied by the authorizer.
   */
  function wanAccess(lp: LayerPlan): { users: ScramUser[]; acls: AclGrant[] } {
    const here = lp.layer.name;
    const users: ScramUser[] = [];
    const acls: AclGrant[] = [];
    const user = (name: string, secretName: string, key?: string) => {
      if (!users.some((u) => u.name === name)) users.push({ name, secretName, key });
    };
    const grant = (g: AclGrant) => {
      if (!acls.some((a) => JSON.stringify(a) === JSON.stringify(g))) acls.push(g);
    };
    for (const other of plan.layers) {
      const w = other.worker;
      if (!w || other.layer.name === here) continue;
      if (w.next?.layer === here) {
        user(WAN_USERS.worker, WAN_USERS_SECRET);
        grant({ user: WAN_USERS.worker, resource: 'topic', name: w.next.topic, operations: ['Write', 'Describe'] });
      }
      if (w.replyLayer === here) {
        user(WAN_USERS.worker, WAN_USERS_SECRET);
        for (const topic of perDevice(w.replyTopic)) grant({ user: WAN_USERS.worker, resource: 'topic', name: topic, operations: ['Write', 'Describe'] });
      }
    }
    const outgoing = plan.mirrors.filter((m) => m.source === here);
    if (outgoing.length > 0) {
      const mm = WAN_USERS.mirrorMaker;
      user(mm, WAN_USERS_SECRET);
      for (const topic of outgoing.flatMap((m) => m.topics.flatMap(perDevice)))
        grant({ user: mm, resource: 'topic', name: topic, operations: ['Read', 'Describe', 'DescribeConfigs'] });
      // MM2 keeps its offset syncs in the source cluster (offset-syncs.topic.location: source).
      grant({ user: mm, resource: 'topic', name: 'mm2-offset-syncs.', pattern: 'prefixed', operations: ['All'] });
      grant({ user: mm, resource: 'cluster', operations: ['Describe'] });
    }
    const requests = plan.requestLayer === here;
    const replies = plan.entryLayer === here;
    if (requests || replies)
      for (const id of devices) {
        user(id, deviceSecretName(env));
        if (requests) grant({ user: id, resource: 'topic', name: plan.requestTopic, operations: ['Write', 'Describe'] });
        if (replies) {
          grant({ user: id, resource: 'topic', name: `${plan.replyTopic}.${id}`, operations: ['Read', 'Describe'] });
          grant({ user: id, resource: 'group', name: deviceGroupPrefix(id), pattern: 'prefixed', operations: ['Read', 'Describe'] });
        }
      }
    return { users, acls };
  }

  let federation: ContinuumManifests['federation'];
  if (federated) {
    const outdir = path.join(outroot, env.name, 'federation');
    const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
    const chart = new Chart(app, `${env.federation.engine}`, { labels: { 'ddnn.dev/environment': env.name } });
    const members: FederationMember[] = env.layers.map((l) => ({
      name: l.name,
      apiEndpoint: apiEndpoint(l),
      // An on-prem edge behind NAT cannot be called by the control plane; its agent connects out.
      syncMode: env.federation.engine === 'karmada' && l.cluster.kind === 'on-prem' ? 'Pull' : 'Push',
    }));
    const construct = new ContinuumFederation(chart, 'federation', {
      engine: env.federation.engine as 'kubefed' | 'karmada',
      namespace,
      members,
      workloads: layers.filter((l) => l.worker).map((l) => ({ cluster: l.layer, manifest: l.worker!.deploymentManifest() })),
    });
    federation = { app, outdir, construct };
  }

  return { environment: env, layers, federation };
}

/**
 * Memory a GKE node of `machineType` offers to pods, in MiB: its memory less GKE's reservation (25 % of the first
 * 4 GiB, 20 % of the next 4, 10 % of the next 8, 6 % up to 128, 2 % above) and the 100 MiB eviction threshold.
 * Only custom machine types say their memory in the name; others return undefined (not checked).
 */
export function gkeAllocatableMiB(machineType: string): number | undefined {
  const m = /^[a-z0-9]+-custom-\d+-(\d+)$/.exec(machineType);
  if (!m) return undefined;
  const mem = Number(m[1]);
  const tiers: [number, number][] = [[4096, 0.25], [4096, 0.2], [8192, 0.1], [114688, 0.06], [Infinity, 0.02]];
  let left = mem;
  let reserved = 0;
  for (const [size, share] of tiers) {
    const part = Math.min(left, size);
    reserved += part * share;
    left -= part;
  }
  return Math.floor(mem - reserved - 100);
}

/** Refuses a GKE layer whose long-running pods request more memory than its nodes offer (they would stay Pending). */
function checkCapacity(layer: LayerSpec, objects: Record<string, any>[]): void {
  if (layer.cluster.kind !== 'gke') return;
  const perNode = gkeAllocatableMiB(layer.cluster.machineType);
  if (perNode === undefined) return;
  let requested = 0;
  for (const o of objects.filter((x) => x.kind === 'Deployment' || x.kind === 'StatefulSet')) {
    for (const c of o.spec.template.spec.containers) requested += (o.spec.replicas ?? 1) * memoryMiB(c.resources?.requests?.memory ?? '0');
  }
  // Strimzi's operator makes these pods; their requests are in the custom resources (its entity operator is not counted).
  for (const o of objects.filter((x) => x.kind === 'KafkaNodePool' || x.kind === 'KafkaMirrorMaker2'))
    requested += (o.spec.replicas ?? 1) * memoryMiB(o.spec.resources?.requests?.memory ?? '0');
  const available = perNode * layer.cluster.nodes;
  if (requested > available)
    throw new Error(
      `layer "${layer.name}": pods request ${requested} MiB of memory but ${layer.cluster.nodes} × ${layer.cluster.machineType} ` +
        `offer ${available} MiB to pods; lower layers.*.kafka/worker resources or add nodes (cluster.nodes)`,
    );
}

function memoryMiB(q: string | number): number {
  return Math.ceil(memoryBytes(String(q)) / 2 ** 20);
}

function imageRef(env: Environment): string {
  return pinnedImage(env.workerImage);
}

function pinnedImage(i: Environment['workerImage']): string {
  return i.digest ? `${i.repository}${i.tag ? `:${i.tag}` : ''}@${i.digest}` : `${i.repository}:${i.tag}`;
}

/** The layer's namespace, enforcing the "restricted" Pod Security Standard. */
class NamespaceChart extends Chart {
  constructor(scope: Construct, id: string, props: { name: string; layer: string; environment: string }) {
    super(scope, id);
    new k8s.KubeNamespace(this, 'namespace', {
      metadata: {
        name: props.name,
        labels: {
          'ddnn.dev/layer': props.layer,
          'ddnn.dev/environment': props.environment,
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      },
    });
  }
}
