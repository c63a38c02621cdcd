/**
 * MirrorMaker 2 in dedicated mode, running next to its target cluster and pulling the listed topics from remote
 * clusters over their WAN listeners. Topic names are kept (IdentityReplicationPolicy) and each direction carries
 * its own topics, so there is no replication cycle. Properties come from contracts/kafka/mirror-maker-settings.ts,
 * the module the local launcher uses too; this construct adds addresses and client security only. The target may be
 * a KafkaCluster or any existing cluster (`KafkaCluster.fromExisting`).
 * Several sources may feed one target through one instance, as long as no topic comes from two of them; the
 * continuum runs one instance per source (see constructs/continuum.ts).
 */
import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { renderProperties } from '../../contracts/kafka/broker-settings';
import { mirrorMakerProperties } from '../../contracts/kafka/mirror-maker-settings';
import { SCRAM_MECHANISM } from '../../contracts/kafka/security';
import { IMAGES, IMAGE_USERS } from '../../contracts/versions';
import type { IKafkaCluster, KafkaClientSecurity } from './kafka-endpoint';
import type { TopicCatalog } from './kafka-topics';
import { physicalName } from './names';
import { RESTRICTED_CONTAINER, type ResourceRequest, jvmHeapOptions, resourceBlock, restrictedPodSecurity, scratch, standardLabels } from './pod-defaults';

export interface MirrorSource {
  /** Cluster alias (the layer name), e.g. 'edge'. */
  readonly alias: string;
  /** WAN bootstrap servers of the source cluster. */
  readonly bootstrapServers: string;
  readonly brokers: number;
  /** Topics copied from this source into the target (same names, same partition count). */
  readonly topics: string[];
  /** Set when the source's WAN listener is SASL_SSL (SCRAM-SHA-512). @default - PLAINTEXT */
  readonly security?: KafkaClientSecurity;
}

export interface MirrorMaker2Props {
  /** Deployment name and prefix of its ConfigMap. @default - derived from the construct's path */
  readonly name?: string;
  /** Alias of the target cluster (the layer it runs in). */
  readonly targetAlias: string;
  /** A KafkaCluster, or `KafkaCluster.fromExisting(…)`; its `clientSecurity`, if any, is MM2's login there. */
  readonly target: IKafkaCluster;
  /**
   * Topics of the target cluster: every mirrored topic must be declared there, and `tasks.max` follows their
   * partitions. @default - not checked (the topics exist already); `tasksMax` tasks
   */
  readonly targetTopics?: TopicCatalog;
  /** Connector tasks per flow. @default - the most partitions of a mirrored topic in `targetTopics`, else 1 */
  readonly tasksMax?: number;
  readonly sources: MirrorSource[];
  /** @default IMAGES.kafka */
  readonly image?: string;
  /** @default { cpu: '250m', memory: '768Mi' } */
  readonly resources?: ResourceRequest;
}

const envName = (alias: string, what: string) => `MM2_${alias.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_${what}`;

export class MirrorMaker2 extends Construct {
  readonly name: string;
  /** The rendered mm2.properties (tests and docs read it). */
  readonly properties: Record<string, string>;
  readonly podLabels: Record<string, string>;
  // Escape hatches: the objects as synthesized.
  readonly configMap: k8s.KubeConfigMap;
  readonly deployment: k8s.KubeDeployment;

  constructor(scope: Construct, id: string, props: MirrorMaker2Props) {
    super(scope, id);
    const { target, targetAlias, targetTopics } = props;
    if (props.sources.length === 0) throw new Error(`MirrorMaker2 ${targetAlias}: sources must not be empty`);
    const name = (this.name = physicalName(this, props.name, `MirrorMaker2 ${this.node.path}`, 63));
    let maxPartitions = 1;
    for (const s of props.sources) {
      if (s.alias === targetAlias) throw new Error(`MirrorMaker2 ${targetAlias}: source alias "${s.alias}" is the target itself`);
      for (const t of s.topics) maxPartitions = Math.max(maxPartitions, targetTopics?.topic(t).partitions ?? 1);
    }
    const tasksMax = props.tasksMax ?? maxPartitions;
    if (!Number.isInteger(tasksMax) || tasksMax < 1) throw new Error(`MirrorMaker2 ${targetAlias}: tasksMax (${tasksMax}) must be an integer ≥ 1`);

    const base = mirrorMakerProperties({
      clusters: [
        { alias: targetAlias, bootstrapServers: target.bootstrapServers, brokers: target.brokers },
        ...props.sources.map((s) => ({ alias: s.alias, bootstrapServers: s.bootstrapServers, brokers: s.brokers })),
      ],
      flows: props.sources.map((s) => ({ source: s.alias, target: targetAlias, topics: s.topics })),
      // Mirrored topics are pre-created by the target's topics Job with their own replication; MM2's own
      // bookkeeping topics follow the target cluster's size.
      replicationFactor: Math.min(3, target.brokers, ...props.sources.map((s) => s.brokers)),
      // One task per partition keeps each partition's copy in a single, unshared consumer.
      tasksMax,
    });
    // Every cluster MM2 logs in to: the sources' WAN listeners, and the target when it is secured.
    const logins = [
      ...(target.clientSecurity ? [{ alias: targetAlias, security: target.clientSecurity }] : []),
      ...props.sources.filter((s): s is MirrorSource & { security: KafkaClientSecurity } => !!s.security),
    ];
    const security: Record<string, string> = {};
    for (const s of logins) {
      Object.assign(security, {
        [`${s.alias}.security.protocol`]: 'SASL_SSL',
        [`${s.alias}.sasl.mechanism`]: SCRAM_MECHANISM,
        [`${s.alias}.sasl.jaas.config`]:
          `org.apache.kafka.common.security.scram.ScramLoginModule required username="\${env:${envName(s.alias, 'USERNAME')}}" password="\${env:${envName(s.alias, 'PASSWORD')}}";`,
        [`${s.alias}.ssl.truststore.type`]: 'PEM',
        [`${s.alias}.ssl.truststore.location`]: `/etc/mm2/ca/${s.alias}/ca.crt`,
      });
    }
    this.properties = {
      ...base,
      ...security,
      'config.providers': 'env',
      'config.providers.env.class': 'org.apache.kafka.common.config.provider.EnvVarConfigProvider',
    };

    this.podLabels = standardLabels({ name, component: 'mirror-maker2', layer: targetAlias });
    const rendered = renderProperties(this.properties, `MirrorMaker 2 into ${targetAlias}: generated from runtime/kafka/mirror-maker-settings.ts`);
    const config = (this.configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: `${name}-config`, labels: this.podLabels },
      data: { 'mm2.properties': rendered },
    }));

    const resources = props.resources ?? { cpu: '250m', memory: '768Mi' };
    const tmp = scratch('tmp', '/tmp');
    const logs = scratch('logs', '/var/log/kafka', '512Mi');
    const env: k8s.EnvVar[] = [
      { name: 'LOG_DIR', value: '/var/log/kafka' },
      { name: 'KAFKA_HEAP_OPTS', value: jvmHeapOptions(resources.memory) },
    ];
    const mounts: k8s.VolumeMount[] = [{ name: 'config', mountPath: '/etc/mm2', readOnly: true }, tmp.mount, logs.mount];
    const volumes: k8s.Volume[] = [{ name: 'config', configMap: { name: config.name } }, tmp.volume, logs.volume];
    for (const s of logins) {
      env.push(
        { name: envName(s.alias, 'USERNAME'), valueFrom: { secretKeyRef: { name: s.security.credentialsSecretName, key: 'username' } } },
        { name: envName(s.alias, 'PASSWORD'), valueFrom: { secretKeyRef: { name: s.security.credentialsSecretName, key: 'password' } } },
      );
      mounts.push({ name: `ca-${s.alias}`, mountPath: `/etc/mm2/ca/${s.alias}`, readOnly: true });
      volumes.push({ name: `ca-${s.alias}`, secret: { secretName: s.security.caSecretName, items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    }

    this.deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name, labels: this.podLabels },
      spec: {
        // Dedicated mode without the internal REST server: one instance drives all flows into this cluster.
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'mirror-maker2' } },
        template: {
          metadata: {
            labels: this.podLabels,
            annotations: { 'ddnn.dev/config-hash': createHash('sha256').update(rendered).digest('hex').slice(0, 16) },
          },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurity(IMAGE_USERS.kafka),
            containers: [
              {
                name: 'mirror-maker2',
                image: props.image ?? IMAGES.kafka,
                imagePullPolicy: 'IfNotPresent',
                // Drive only the flows into this cluster; the source's own MM2 drives the opposite direction.
                command: ['/opt/kafka/bin/connect-mirror-maker.sh', '/etc/mm2/mm2.properties', '--clusters', targetAlias],
                env,
                resources: resourceBlock(resources),
                securityContext: { ...RESTRICTED_CONTAINER, runAsUser: IMAGE_USERS.kafka },
                volumeMounts: mounts,
              },
            ],
            volumes,
          },
        },
      },
    });
  }
}
