/**
 * Apache Kafka on Kubernetes: brokers as a StatefulSet with stable identities, an internal listener for the
 * layer's own clients and a WAN listener per broker for the other layers' clusters and the devices. Coordination
 * is a ZooKeeper ensemble (as the paper deployed) or KRaft (the first `quorum` brokers also act as controllers).
 *
 * Every broker property comes from contracts/kafka/broker-settings.ts, the module the local launcher uses too; this
 * construct only decides addresses. Each pod reads `server-<ordinal>.properties` from a ConfigMap, so node ids
 * follow the pod ordinal and no property is patched at start-up.
 */
import { createHash } from 'crypto';
import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  LISTENER,
  type ListenerSpec,
  brokerProperties,
  renderProperties,
} from '../../contracts/kafka/broker-settings';
import { kraftClusterId } from '../../contracts/kafka/cluster-id';
import { KAFKA_PORTS } from '../../contracts/kafka/ports';
import { SCRAM_MECHANISM } from '../../contracts/kafka/security';
import { IMAGES, IMAGE_USERS } from '../../contracts/versions';
import {
  RESTRICTED_CONTAINER,
  type ResourceRequest,
  dataVolumeClaim,
  jvmHeapOptions,
  resourceBlock,
  restrictedPodSecurity,
  scratch,
  spreadOverNodes,
  standardLabels,
} from './pod-defaults';
import { type IKafkaCluster, type KafkaClientSecurity, checkKafkaReference } from './kafka-endpoint';
import { physicalName } from './names';
import { ZooKeeperEnsemble } from './zookeeper-ensemble';

/** How the WAN listener of each broker is reached from outside the cluster. */
export type KafkaExternalAccess =
  | {
      readonly type: 'LoadBalancer';
      /** Advertised host of broker N, `{ordinal}` replaced (a DNS name pointing at static address N). */
      readonly hostPattern: string;
      /** @default 9094 */
      readonly port?: number;
      /** Only these source ranges may connect. @default - any (restrict with NetworkPolicies/firewalls) */
      readonly sourceRanges?: string[];
      /** GKE: names of reserved static addresses, by ordinal (annotation networking.gke.io/load-balancer-ip-addresses). @default - ephemeral */
      readonly staticAddressNames?: string[];
    }
  | {
      readonly type: 'NodePort';
      /** Node address (or VIP) the other layers and the devices reach. */
      readonly host: string;
      /** Broker N listens on node port basePort + N. @default 30094 */
      readonly basePort?: number;
    };

/**
 * TLS + SASL/SCRAM-SHA-512 on the WAN listener, with authorization on. Nothing secret is written into a manifest:
 * the broker reads its keystore password through Kafka's env config provider (`${env:…}`) from a Secret the
 * operator creates; SCRAM users live in the cluster's metadata and are added by KafkaAccess from Secrets.
 * The internal and controller listeners stay PLAINTEXT inside the namespace's NetworkPolicies: their principal
 * (ANONYMOUS: brokers, this layer's workers, MirrorMaker 2 and admin Jobs) is a super user; every WAN principal
 * gets only what ACLs grant.
 */
export interface KafkaWanSecurity {
  /** Secret with `keystore.p12` (broker certificate) and `keystore-password`. */
  readonly tlsSecretName: string;
}

/** Authorizer for each coordination mode: KRaft's StandardAuthorizer, ZooKeeper's AclAuthorizer. */
export const AUTHORIZER = {
  kraft: 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  zookeeper: 'kafka.security.authorizer.AclAuthorizer',
} as const;

export interface KafkaClusterProps {
  /**
   * Name of the StatefulSet and prefix of every object (`<name>-headless`, `<name>-config`, …).
   * @default - derived from the construct's path, unique in the app
   */
  readonly name?: string;
  /** @default 3 */
  readonly brokers?: number;
  /** @default 'kraft' */
  readonly coordination?: 'zookeeper' | 'kraft';
  /** ZooKeeper ensemble size, or how many brokers also act as KRaft controllers. @default min(3, brokers) */
  readonly quorum?: number;
  /** Continuum layer, for labels and the cluster id. @default - none */
  readonly layer?: string;
  readonly external: KafkaExternalAccess;
  /** Security of the WAN listener (SASL_SSL, SCRAM-SHA-512, ACLs). @default - PLAINTEXT, no authorizer (only for local/test setups) */
  readonly wanSecurity?: KafkaWanSecurity;
  /** Replication default for topics created without one. @default min(3, brokers) */
  readonly defaultReplicationFactor?: number;
  /** @default max(1, defaultReplicationFactor - 1) */
  readonly minInSyncReplicas?: number;
  /** @default 8 MiB */
  readonly messageMaxBytes?: number;
  /** @default IMAGES.kafka */
  readonly image?: string;
  /** Log volume per broker. @default '10Gi' */
  readonly storage?: string;
  /** @default - the cluster's default StorageClass */
  readonly storageClass?: string;
  /** @default { cpu: '500m', memory: '2Gi' } */
  readonly resources?: ResourceRequest;
  /** 'required' when the cluster has at least as many nodes as brokers. @default 'preferred' */
  readonly antiAffinity?: 'required' | 'preferred';
  /** @default 'cluster.local' */
  readonly clusterDomain?: string;
  /** Extra broker properties, last word (passed to brokerProperties' overrides). @default - none */
  readonly overrides?: Record<string, string>;
}

/** An existing cluster (Strimzi's, a managed one): what `KafkaCluster.fromExisting` takes. */
export interface ExistingKafkaClusterProps {
  /** Prefix of the Jobs created for it (topics, access). */
  readonly name: string;
  /** `host:port,…` reachable from this chart's namespace. */
  readonly bootstrapServers: string;
  readonly brokers: number;
  /** @default - PLAINTEXT */
  readonly clientSecurity?: KafkaClientSecurity;
}

export class KafkaCluster extends Construct implements IKafkaCluster {
  /** A cluster this app does not create, for KafkaTopics, KafkaAccess and MirrorMaker2 to work against. */
  static fromExisting(props: ExistingKafkaClusterProps): IKafkaCluster {
    return checkKafkaReference(props, `KafkaCluster.fromExisting(${props.name})`);
  }

  readonly name: string;
  readonly brokers: number;
  readonly coordination: 'zookeeper' | 'kraft';
  /** Bootstrap servers for clients inside this cluster (internal listener). */
  readonly bootstrapServers: string;
  /** Advertised WAN endpoint of every broker, in ordinal order. */
  readonly externalEndpoints: string[];
  /** Bootstrap servers for clients in other clusters (WAN listener). */
  readonly externalBootstrapServers: string;
  readonly clientServiceName: string;
  readonly headlessServiceName: string;
  /** Labels selecting the broker pods. */
  readonly selector: Record<string, string>;
  readonly wanSecurity?: KafkaWanSecurity;
  readonly zookeeper?: ZooKeeperEnsemble;
  /** KRaft cluster id: derived from the cluster's name and layer so a re-synth never changes it. */
  readonly clusterId?: string;
  /** The rendered properties of every broker, by ordinal (tests and docs read them). */
  readonly brokerConfigs: Record<string, string>[];
  /** In-namespace clients use the PLAINTEXT internal listener. */
  readonly clientSecurity?: KafkaClientSecurity = undefined;

  // Escape hatches: the objects as synthesized, for what the props do not cover (e.g. `statefulSet.addJsonPatch`).
  readonly statefulSet: k8s.KubeStatefulSet;
  readonly configMap: k8s.KubeConfigMap;
  readonly headlessService: k8s.KubeService;
  readonly clientService: k8s.KubeService;
  /** One per broker, by ordinal: its WAN listener's LoadBalancer or NodePort. */
  readonly externalServices: k8s.KubeService[];
  readonly podDisruptionBudget: k8s.KubePodDisruptionBudget;

  constructor(scope: Construct, id: string, props: KafkaClusterProps) {
    super(scope, id);
    const name = (this.name = physicalName(this, props.name, `KafkaCluster ${this.node.path}`));
    const brokers = (this.brokers = props.brokers ?? 3);
    const coordination = (this.coordination = props.coordination ?? 'kraft');
    const quorum = props.quorum ?? Math.min(3, brokers);
    const where = `KafkaCluster ${name}`;
    if (!Number.isInteger(brokers) || brokers < 1) throw new Error(`${where}: brokers (${brokers}) must be an integer ≥ 1`);
    if (quorum < 1 || (quorum > 1 && quorum % 2 === 0)) throw new Error(`${where}: quorum (${quorum}) must be 1 or an odd number`);
    if (coordination === 'kraft' && quorum > brokers)
      throw new Error(`${where}: quorum (${quorum}) must be ≤ brokers (${brokers}): KRaft controllers run on the first brokers`);
    const rf = props.defaultReplicationFactor ?? Math.min(3, brokers);
    if (rf > brokers) throw new Error(`${where}: defaultReplicationFactor (${rf}) must be ≤ brokers (${brokers})`);
    const minIsr = props.minInSyncReplicas ?? Math.max(1, rf - 1);
    if (minIsr > rf) throw new Error(`${where}: minInSyncReplicas (${minIsr}) must be ≤ defaultReplicationFactor (${rf})`);

    const namespace = Chart.of(this).namespace;
    const domain = props.clusterDomain ?? 'cluster.local';
    const headless = (this.headlessServiceName = `${name}-headless`);
    this.clientServiceName = name;
    const podHost = (i: number) => `${name}-${i}.${headless}${namespace ? `.${namespace}.svc.${domain}` : ''}`;
    const internal = Array.from({ length: brokers }, (_, i) => `${podHost(i)}:${KAFKA_PORTS.internal}`);
    this.bootstrapServers = internal.join(',');

    const ext = props.external;
    this.externalEndpoints = externalEndpoints(ext, brokers);
    if (ext.type === 'NodePort' && (ext.basePort ?? 30094) + brokers - 1 > 32767)
      throw new Error(`${where}: external.basePort (${ext.basePort}) + brokers exceeds the node port range (≤ 32767)`);
    this.externalBootstrapServers = this.externalEndpoints.join(',');
    this.wanSecurity = props.wanSecurity;

    const labels = standardLabels({ name, component: 'kafka-broker', layer: props.layer });
    this.selector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'kafka-broker' };

    let zookeeperConnect: string | undefined;
    if (coordination === 'zookeeper') {
      this.zookeeper = new ZooKeeperEnsemble(this, 'zookeeper', {
        name: `${name}-zookeeper`,
        replicas: quorum,
        layer: props.layer,
        storageClass: props.storageClass,
        antiAffinity: props.antiAffinity,
        clusterDomain: props.clusterDomain,
      });
      // A chroot keeps this cluster's znodes apart should the ensemble ever be shared.
      zookeeperConnect = `${this.zookeeper.connectString}/${name}`;
    } else {
      this.clusterId = kraftClusterId(`${props.layer ?? ''}/${name}`);
    }
    const voters = Array.from({ length: quorum }, (_, i) => `${i}@${podHost(i)}:${KAFKA_PORTS.controller}`);

    const sec = props.wanSecurity;
    const wanListenerSecurity: Record<string, string> | undefined = sec && {
      'sasl.enabled.mechanisms': SCRAM_MECHANISM,
      // The server side of SCRAM needs a login context but no credentials (they are in the cluster's metadata);
      // inter-broker traffic uses the internal listener, so the broker never logs in here itself.
      [`${SCRAM_MECHANISM.toLowerCase()}.sasl.jaas.config`]: 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'ssl.keystore.type': 'PKCS12',
      'ssl.keystore.location': '/etc/kafka/tls/keystore.p12',
      'ssl.keystore.password': '${env:KAFKA_TLS_KEYSTORE_PASSWORD}',
    };
    this.brokerConfigs = Array.from({ length: brokers }, (_, i) => {
      const listeners: ListenerSpec[] = [
        {
          name: LISTENER.internal,
          bind: { host: '0.0.0.0', port: KAFKA_PORTS.internal },
          advertised: { host: podHost(i), port: KAFKA_PORTS.internal },
        },
        {
          name: LISTENER.wan,
          bind: { host: '0.0.0.0', port: KAFKA_PORTS.wan },
          advertised: splitHostPort(this.externalEndpoints[i]),
          protocol: sec ? 'SASL_SSL' : 'PLAINTEXT',
          security: wanListenerSecurity,
        },
      ];
      const controller = i < quorum;
      return brokerProperties({
        nodeId: i,
        coordination,
        clusterSize: brokers,
        listeners,
        controllerListener:
          coordination === 'kraft' && controller
            ? { name: LISTENER.controller, bind: { host: '0.0.0.0', port: KAFKA_PORTS.controller } }
            : undefined,
        roles: coordination === 'kraft' ? (controller ? ['broker', 'controller'] : ['broker']) : undefined,
        controllerQuorumVoters: coordination === 'kraft' ? voters : undefined,
        zookeeperConnect,
        logDirs: '/var/lib/kafka/data/logs',
        defaultReplicationFactor: rf,
        minInsyncReplicas: minIsr,
        tuning: props.messageMaxBytes ? { messageMaxBytes: props.messageMaxBytes } : undefined,
        overrides: {
          // Resolve `${env:…}` references (secrets from env vars) in this file.
          'config.providers': 'env',
          'config.providers.env.class': 'org.apache.kafka.common.config.provider.EnvVarConfigProvider',
          ...(sec
            ? {
                'authorizer.class.name': AUTHORIZER[coordination],
                // ANONYMOUS: the PLAINTEXT internal and controller listeners, reachable from this namespace only.
                'super.users': 'User:ANONYMOUS',
                'allow.everyone.if.no.acl.found': 'false',
              }
            : {}),
          ...props.overrides,
        },
      });
    });

    const config = (this.configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: `${name}-config`, labels },
      data: Object.fromEntries(
        this.brokerConfigs.map((p, i) => [`server-${i}.properties`, renderProperties(p, `broker ${i} of ${name}: generated from runtime/kafka/broker-settings.ts`)]),
      ),
    }));

    this.headlessService = new k8s.KubeService(this, 'headless', {
      metadata: { name: headless, labels },
      spec: {
        clusterIp: 'None',
        publishNotReadyAddresses: true,
        selector: this.selector,
        ports: [
          { name: 'internal', port: KAFKA_PORTS.internal },
          { name: 'controller', port: KAFKA_PORTS.controller },
        ],
      },
    });
    this.clientService = new k8s.KubeService(this, 'client', {
      metadata: { name: this.clientServiceName, labels },
      spec: { type: 'ClusterIP', selector: this.selector, ports: [{ name: 'internal', port: KAFKA_PORTS.internal }] },
    });
    this.externalServices = [];
    for (let i = 0; i < brokers; i++) {
      const podSelector = { ...this.selector, 'statefulset.kubernetes.io/pod-name': `${name}-${i}` };
      const port = splitHostPort(this.externalEndpoints[i]).port;
      const service = new k8s.KubeService(this, `external-${i}`, {
        metadata: {
          name: `${name}-${i}-external`,
          labels: { ...labels, 'ddnn.dev/broker': String(i) },
          annotations:
            ext.type === 'LoadBalancer' && ext.staticAddressNames?.[i]
              ? { 'networking.gke.io/load-balancer-ip-addresses': ext.staticAddressNames[i] }
              : undefined,
        },
        spec:
          ext.type === 'LoadBalancer'
            ? {
                type: 'LoadBalancer',
                externalTrafficPolicy: 'Local',
                loadBalancerSourceRanges: ext.sourceRanges,
                selector: podSelector,
                ports: [{ name: 'wan', port, targetPort: k8s.IntOrString.fromNumber(KAFKA_PORTS.wan) }],
              }
            : {
                type: 'NodePort',
                selector: podSelector,
                ports: [{ name: 'wan', port: KAFKA_PORTS.wan, targetPort: k8s.IntOrString.fromNumber(KAFKA_PORTS.wan), nodePort: port }],
              },
      });
      this.externalServices.push(service);
    }

    const resources = props.resources ?? { cpu: '500m', memory: '2Gi' };
    const tmp = scratch('tmp', '/tmp');
    const logs = scratch('logs', '/var/log/kafka', '1Gi');
    const start = [
      'set -e',
      'id=${HOSTNAME##*-}',
      'conf=/etc/kafka/ddnn/server-${id}.properties',
      ...(coordination === 'kraft'
        ? ['/opt/kafka/bin/kafka-storage.sh format --ignore-formatted --cluster-id "$CLUSTER_ID" --config "$conf"']
        : []),
      'exec /opt/kafka/bin/kafka-server-start.sh "$conf"',
    ].join('\n');
    const env: k8s.EnvVar[] = [
      { name: 'LOG_DIR', value: '/var/log/kafka' },
      { name: 'KAFKA_HEAP_OPTS', value: jvmHeapOptions(resources.memory) },
    ];
    if (this.clusterId) env.push({ name: 'CLUSTER_ID', value: this.clusterId });
    const mounts: k8s.VolumeMount[] = [
      { name: 'data', mountPath: '/var/lib/kafka/data' },
      { name: 'config', mountPath: '/etc/kafka/ddnn', readOnly: true },
      tmp.mount,
      logs.mount,
    ];
    const volumes: k8s.Volume[] = [{ name: 'config', configMap: { name: config.name } }, tmp.volume, logs.volume];
    if (sec) {
      env.push({ name: 'KAFKA_TLS_KEYSTORE_PASSWORD', valueFrom: { secretKeyRef: { name: sec.tlsSecretName, key: 'keystore-password' } } });
      mounts.push({ name: 'tls', mountPath: '/etc/kafka/tls', readOnly: true });
      volumes.push({ name: 'tls', secret: { secretName: sec.tlsSecretName, items: [{ key: 'keystore.p12', path: 'keystore.p12' }] } });
    }

    this.statefulSet = new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: { name, labels },
      spec: {
        serviceName: headless,
        replicas: brokers,
        // KRaft controllers and brokers must start together to form a quorum.
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: this.selector },
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          metadata: {
            labels,
            // Pods restart when their properties change.
            annotations: { 'ddnn.dev/config-hash': hash(JSON.stringify(this.brokerConfigs)) },
          },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurity(IMAGE_USERS.kafka),
            affinity: spreadOverNodes(this.selector, props.antiAffinity ?? 'preferred'),
            // Controlled shutdown moves leadership away before the pod goes.
            terminationGracePeriodSeconds: 120,
            containers: [
              {
                name: 'kafka',
                image: props.image ?? IMAGES.kafka,
                imagePullPolicy: 'IfNotPresent',
                command: ['/bin/bash', '-c', start],
                env,
                ports: [
                  { name: 'internal', containerPort: KAFKA_PORTS.internal },
                  { name: 'wan', containerPort: KAFKA_PORTS.wan },
                  ...(coordination === 'kraft' ? [{ name: 'controller', containerPort: KAFKA_PORTS.controller }] : []),
                ],
                startupProbe: {
                  tcpSocket: { port: k8s.IntOrString.fromNumber(KAFKA_PORTS.internal) },
                  periodSeconds: 10,
                  // Log recovery after an unclean stop can take minutes.
                  failureThreshold: 60,
                },
                readinessProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(KAFKA_PORTS.internal) }, periodSeconds: 10, timeoutSeconds: 5 },
                livenessProbe: {
                  tcpSocket: { port: k8s.IntOrString.fromNumber(KAFKA_PORTS.internal) },
                  periodSeconds: 10,
                  timeoutSeconds: 5,
                  failureThreshold: 6,
                },
                resources: resourceBlock(resources),
                securityContext: { ...RESTRICTED_CONTAINER, runAsUser: IMAGE_USERS.kafka },
                volumeMounts: mounts,
              },
            ],
            volumes,
          },
        },
        volumeClaimTemplates: [dataVolumeClaim(labels, props.storage ?? '10Gi', props.storageClass)],
      },
    });

    this.podDisruptionBudget = new k8s.KubePodDisruptionBudget(this, 'pdb', {
      metadata: { name, labels },
      // One broker at a time: with RF 3 / min.insync 2 producers with acks=all keep working.
      spec: { selector: { matchLabels: this.selector }, maxUnavailable: k8s.IntOrString.fromNumber(1) },
    });
  }
}

/** The advertised WAN endpoint of every broker: what clients in other clusters bootstrap from. */
export function externalEndpoints(ext: KafkaExternalAccess, brokers: number): string[] {
  return Array.from({ length: brokers }, (_, i) =>
    ext.type === 'LoadBalancer'
      ? `${ext.hostPattern.split('{ordinal}').join(String(i))}:${ext.port ?? KAFKA_PORTS.wan}`
      : `${ext.host}:${(ext.basePort ?? 30094) + i}`,
  );
}

function splitHostPort(endpoint: string): { host: string; port: number } {
  const i = endpoint.lastIndexOf(':');
  return { host: endpoint.slice(0, i), port: Number(endpoint.slice(i + 1)) };
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);
