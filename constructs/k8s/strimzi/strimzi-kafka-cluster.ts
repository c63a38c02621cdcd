/**
 * Apache Kafka run by the Strimzi operator (0.47, KRaft): a `Kafka` resource and one `KafkaNodePool` whose nodes are
 * both controllers and brokers, the same listeners as KafkaCluster (INTERNAL PLAINTEXT in the namespace, WAN per
 * broker on SASL_SSL/SCRAM-SHA-512 with the simple authorizer), and broker tuning from
 * contracts/kafka/broker-settings.ts minus what Strimzi manages itself. The operator must be installed in the
 * cluster; it creates the StatefulSet-like pods, Services, certificates and NetworkPolicies.
 */
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { brokerProperties } from '../../../contracts/kafka/broker-settings';
import { KAFKA_PORTS } from '../../../contracts/kafka/ports';
import { KAFKA_VERSION } from '../../../contracts/versions';
import {
  Kafka,
  KafkaNodePool,
  KafkaNodePoolSpecResourcesLimits,
  KafkaNodePoolSpecResourcesRequests,
  KafkaNodePoolSpecRoles,
  KafkaNodePoolSpecStorageType,
  KafkaNodePoolSpecStorageVolumesKraftMetadata,
  KafkaNodePoolSpecStorageVolumesType,
  KafkaSpecKafkaAuthorizationType,
  KafkaSpecKafkaListenersAuthenticationType,
  KafkaSpecKafkaListenersConfigurationExternalTrafficPolicy,
  KafkaSpecKafkaListenersType,
} from '../../imports/strimzi/kafka.strimzi.io';
import { type KafkaExternalAccess, externalEndpoints } from '../kafka-cluster';
import type { IKafkaCluster, KafkaClientSecurity } from '../kafka-endpoint';
import { physicalName } from '../names';
import type { ResourceRequest } from '../pod-defaults';

/** The Strimzi release whose CRDs the resources are generated from (constructs/imports/strimzi/crds-0.47.0.yaml). */
export const STRIMZI_VERSION = '0.47.0';

/** Strimzi's names for the two listeners; the ports are the project's (contracts/kafka/ports.ts). */
export const STRIMZI_LISTENER = { internal: 'internal', wan: 'wan' } as const;

/**
 * Properties Strimzi sets itself and refuses in `spec.kafka.config` (its documented forbidden prefixes): listeners,
 * security, node identity and storage. Everything else of brokerProperties() passes through.
 */
const STRIMZI_OWNED = /^(listeners|advertised\.|broker\.|listener\.|host\.name|port|inter\.broker\.listener\.name|sasl\.|ssl\.|security\.|password\.|log\.dir|zookeeper\.|authorizer\.|super\.user|cruise\.control\.metrics|node\.id|process\.roles|controller\.|metadata\.log\.dir|config\.providers|allow\.everyone\.if\.no\.acl\.found)/;

export interface StrimziKafkaClusterProps {
  /** Name of the `Kafka` resource (Strimzi prefixes every object with it). @default - derived from the construct's path */
  readonly name?: string;
  /** @default 3 */
  readonly brokers?: number;
  /** KRaft controllers: the first `quorum` nodes (a pool of controller+broker nodes; the rest a broker pool). @default 3, or 1 below 3 brokers */
  readonly quorum?: number;
  /** Address ranges allowed on the WAN listener (Strimzi writes the NetworkPolicy). @default - any */
  readonly wanSources?: string[];
  /** Continuum layer, for labels. @default - none */
  readonly layer?: string;
  readonly external: KafkaExternalAccess;
  /** SASL_SSL + SCRAM-SHA-512 on the WAN listener and the simple authorizer. Strimzi makes the certificates. @default false */
  readonly secureWan?: boolean;
  /** @default min(3, brokers) */
  readonly defaultReplicationFactor?: number;
  /** @default max(1, defaultReplicationFactor - 1) */
  readonly minInSyncReplicas?: number;
  /** @default 8 MiB */
  readonly messageMaxBytes?: number;
  /** Volume per node (log and KRaft metadata). @default '10Gi' */
  readonly storage?: string;
  /** @default - the cluster's default StorageClass */
  readonly storageClass?: string;
  /** @default { cpu: '500m', memory: '2Gi' } */
  readonly resources?: ResourceRequest;
}

export class StrimziKafkaCluster extends Construct implements IKafkaCluster {
  readonly name: string;
  readonly brokers: number;
  /** The internal listener through Strimzi's bootstrap Service. */
  readonly bootstrapServers: string;
  readonly externalEndpoints: string[];
  readonly externalBootstrapServers: string;
  readonly clientSecurity?: KafkaClientSecurity = undefined;
  readonly secureWan: boolean;
  /** Secret Strimzi creates with the cluster CA (`ca.crt`): what clients of the WAN listener must trust. */
  readonly clusterCaSecretName: string;
  /** Labels Strimzi puts on the broker pods (NetworkPolicies select them). */
  readonly selector: Record<string, string>;
  // Escape hatches.
  readonly kafka: Kafka;
  /** The controller+broker pool, then (when quorum < brokers) the broker-only pool. */
  readonly nodePools: KafkaNodePool[];

  constructor(scope: Construct, id: string, props: StrimziKafkaClusterProps) {
    super(scope, id);
    const name = (this.name = physicalName(this, props.name, `StrimziKafkaCluster ${this.node.path}`, 30));
    const brokers = (this.brokers = props.brokers ?? 3);
    const where = `StrimziKafkaCluster ${name}`;
    if (!Number.isInteger(brokers) || brokers < 1) throw new Error(`${where}: brokers (${brokers}) must be an integer ≥ 1`);
    const quorum = props.quorum ?? (brokers >= 3 ? 3 : 1);
    if (quorum < 1 || quorum > brokers || (quorum > 1 && quorum % 2 === 0))
      throw new Error(`${where}: quorum (${quorum}) must be 1 or an odd number ≤ brokers (${brokers})`);
    const rf = props.defaultReplicationFactor ?? Math.min(3, brokers);
    if (rf > brokers) throw new Error(`${where}: defaultReplicationFactor (${rf}) must be ≤ brokers (${brokers})`);
    const minIsr = props.minInSyncReplicas ?? Math.max(1, rf - 1);
    if (minIsr > rf) throw new Error(`${where}: minInSyncReplicas (${minIsr}) must be ≤ defaultReplicationFactor (${rf})`);

    const namespace = Chart.of(this).namespace;
    this.bootstrapServers = `${name}-kafka-bootstrap${namespace ? `.${namespace}.svc` : ''}:${KAFKA_PORTS.internal}`;
    const ext = props.external;
    this.externalEndpoints = externalEndpoints(ext, brokers);
    this.externalBootstrapServers = this.externalEndpoints.join(',');
    this.secureWan = props.secureWan ?? false;
    this.clusterCaSecretName = `${name}-cluster-ca-cert`;
    this.selector = { 'strimzi.io/cluster': name, 'strimzi.io/kind': 'Kafka', 'strimzi.io/broker-role': 'true' };
    const labels = { 'app.kubernetes.io/part-of': 'continuum-ddnn', ...(props.layer ? { 'ddnn.dev/layer': props.layer } : {}) };

    // The project's one set of broker settings, less what Strimzi owns (listeners, security, identity, storage).
    const tuned = brokerProperties({
      nodeId: 0,
      coordination: 'kraft',
      clusterSize: brokers,
      listeners: [{ name: 'INTERNAL', bind: { host: '0.0.0.0', port: KAFKA_PORTS.internal } }],
      controllerListener: { name: 'CONTROLLER', bind: { host: '0.0.0.0', port: KAFKA_PORTS.controller } },
      controllerQuorumVoters: ['0@localhost:9093'],
      logDirs: '/var/lib/kafka',
      defaultReplicationFactor: rf,
      minInsyncReplicas: minIsr,
      tuning: props.messageMaxBytes ? { messageMaxBytes: props.messageMaxBytes } : undefined,
    });
    const config = Object.fromEntries(Object.entries(tuned).filter(([k]) => !STRIMZI_OWNED.test(k)));

    const split = (endpoint: string) => {
      const i = endpoint.lastIndexOf(':');
      return { host: endpoint.slice(0, i), port: Number(endpoint.slice(i + 1)) };
    };
    const perBroker = this.externalEndpoints.map((e, i) => {
      const { host, port } = split(e);
      return ext.type === 'NodePort'
        ? { broker: i, advertisedHost: host, advertisedPort: port, nodePort: port }
        : {
            broker: i,
            advertisedHost: host,
            advertisedPort: port,
            annotations: ext.staticAddressNames?.[i] ? { 'networking.gke.io/load-balancer-ip-addresses': ext.staticAddressNames[i] } : undefined,
          };
    });

    this.kafka = new Kafka(this, 'kafka', {
      metadata: {
        name,
        labels,
        // KRaft with node pools: the only mode Strimzi supports from 0.46 on.
        annotations: { 'strimzi.io/node-pools': 'enabled', 'strimzi.io/kraft': 'enabled' },
      },
      spec: {
        kafka: {
          version: KAFKA_VERSION,
          metadataVersion: `${KAFKA_VERSION.split('.').slice(0, 2).join('.')}-IV0`,
          listeners: [
            {
              name: STRIMZI_LISTENER.internal,
              port: KAFKA_PORTS.internal,
              type: KafkaSpecKafkaListenersType.INTERNAL,
              tls: false,
              // PLAINTEXT with super-user rights: pods of this namespace only.
              networkPolicyPeers: [{ podSelector: {} }],
            },
            {
              name: STRIMZI_LISTENER.wan,
              port: KAFKA_PORTS.wan,
              type: ext.type === 'NodePort' ? KafkaSpecKafkaListenersType.NODEPORT : KafkaSpecKafkaListenersType.LOADBALANCER,
              tls: this.secureWan,
              authentication: this.secureWan ? { type: KafkaSpecKafkaListenersAuthenticationType.SCRAM_HYPHEN_SHA_HYPHEN_512 } : undefined,
              networkPolicyPeers: props.wanSources?.map((cidr) => ({ ipBlock: { cidr } })),
              configuration: {
                brokers: perBroker,
                ...(ext.type === 'LoadBalancer'
                  ? { loadBalancerSourceRanges: ext.sourceRanges, externalTrafficPolicy: KafkaSpecKafkaListenersConfigurationExternalTrafficPolicy.LOCAL }
                  : {}),
              },
            },
          ],
          // ANONYMOUS is the internal PLAINTEXT listener's principal (this namespace only), as with KafkaCluster.
          authorization: this.secureWan ? { type: KafkaSpecKafkaAuthorizationType.SIMPLE, superUsers: ['ANONYMOUS'] } : undefined,
          config,
        },
        // The topic and user operators turn KafkaTopic and KafkaUser resources into topics, SCRAM users and ACLs.
        entityOperator: { topicOperator: {}, userOperator: {} },
      },
    });

    const resources = props.resources ?? { cpu: '500m', memory: '2Gi' };
    const pool = (id: string, poolName: string, first: number, replicas: number, roles: KafkaNodePoolSpecRoles[]) =>
      new KafkaNodePool(this, id, {
        metadata: {
          name: poolName,
          labels: { ...labels, 'strimzi.io/cluster': name },
          // Node ids follow the order of the pools (0…quorum-1 controllers), which the per-broker WAN addresses use.
          annotations: { 'strimzi.io/next-node-ids': `[${first}-${first + replicas - 1}]` },
        },
        spec: {
          replicas,
          roles,
          storage: {
            type: KafkaNodePoolSpecStorageType.JBOD,
            volumes: [
              {
                id: 0,
                type: KafkaNodePoolSpecStorageVolumesType.PERSISTENT_HYPHEN_CLAIM,
                size: props.storage ?? '10Gi',
                class: props.storageClass,
                deleteClaim: false,
                kraftMetadata: KafkaNodePoolSpecStorageVolumesKraftMetadata.SHARED,
              },
            ],
          },
          resources: {
            requests: { cpu: KafkaNodePoolSpecResourcesRequests.fromString(resources.cpu), memory: KafkaNodePoolSpecResourcesRequests.fromString(resources.memory) },
            limits: { memory: KafkaNodePoolSpecResourcesLimits.fromString(resources.memory) },
          },
        },
      });
    this.nodePools = [pool('pool', quorum === brokers ? 'nodes' : 'controllers', 0, quorum, [KafkaNodePoolSpecRoles.CONTROLLER, KafkaNodePoolSpecRoles.BROKER])];
    if (quorum < brokers) this.nodePools.push(pool('brokers-pool', 'brokers', quorum, brokers - quorum, [KafkaNodePoolSpecRoles.BROKER]));
  }
}
