/**
 * MirrorMaker 2 run by Strimzi (`KafkaMirrorMaker2`), next to its target cluster like MirrorMaker2: its Connect
 * cluster is the target, it pulls the listed topics from each source over the source's WAN listener and keeps
 * their names. Connector and client settings come from contracts/kafka/mirror-maker-settings.ts, split the way
 * Strimzi wants them (connector config, the target's producer, the sources' consumers).
 */
import { Construct } from 'constructs';
import { mirrorMakerProperties } from '../../../contracts/kafka/mirror-maker-settings';
import { KAFKA_VERSION } from '../../../contracts/versions';
import {
  KafkaMirrorMaker2,
  KafkaMirrorMaker2SpecClustersAuthenticationType,
  KafkaMirrorMaker2SpecResourcesLimits,
  KafkaMirrorMaker2SpecResourcesRequests,
} from '../../imports/strimzi/kafka.strimzi.io';
import type { IKafkaCluster } from '../kafka-endpoint';
import type { TopicCatalog } from '../kafka-topics';
import type { MirrorSource } from '../mirror-maker2';
import { physicalName } from '../names';
import type { ResourceRequest } from '../pod-defaults';

export interface StrimziMirrorMaker2Props {
  /** Name of the KafkaMirrorMaker2 resource. @default - derived from the construct's path */
  readonly name?: string;
  readonly targetAlias: string;
  /** The cluster it writes to, in this namespace (its Connect group lives there). */
  readonly target: IKafkaCluster;
  /** Topics of the target: every mirrored topic must be declared there; tasks follow their partitions. @default - not checked, 1 task */
  readonly targetTopics?: TopicCatalog;
  /** Sources; a secured one needs `security.username` (Strimzi takes the user name literally). */
  readonly sources: MirrorSource[];
  /** @default { cpu: '250m', memory: '768Mi' } */
  readonly resources?: ResourceRequest;
}

/** Connect's own topics live on the target: they follow its size. */
const CONNECT_STORAGE = /^(config|offset|status)\.storage\.replication\.factor$/;

export class StrimziMirrorMaker2 extends Construct {
  readonly name: string;
  /** The settings as rendered for a dedicated MirrorMaker 2 (MirrorMaker2 writes exactly these). */
  readonly properties: Record<string, string>;
  /** Escape hatch: the resource as synthesized. */
  readonly resource: KafkaMirrorMaker2;

  constructor(scope: Construct, id: string, props: StrimziMirrorMaker2Props) {
    super(scope, id);
    const { target, targetAlias, targetTopics } = props;
    const where = `StrimziMirrorMaker2 ${targetAlias}`;
    if (props.sources.length === 0) throw new Error(`${where}: sources must not be empty`);
    const name = (this.name = physicalName(this, props.name, `${where} ${this.node.path}`, 63));
    let tasksMax = 1;
    for (const s of props.sources) {
      if (s.alias === targetAlias) throw new Error(`${where}: source alias "${s.alias}" is the target itself`);
      if (s.security && !s.security.username) throw new Error(`${where}: sources (${s.alias}).security.username is required by Strimzi`);
      for (const t of s.topics) tasksMax = Math.max(tasksMax, targetTopics?.topic(t).partitions ?? 1);
    }
    const props_ = (this.properties = mirrorMakerProperties({
      clusters: [
        { alias: targetAlias, bootstrapServers: target.bootstrapServers, brokers: target.brokers },
        ...props.sources.map((s) => ({ alias: s.alias, bootstrapServers: s.bootstrapServers, brokers: s.brokers })),
      ],
      flows: props.sources.map((s) => ({ source: s.alias, target: targetAlias, topics: s.topics })),
      replicationFactor: Math.min(3, target.brokers, ...props.sources.map((s) => s.brokers)),
      tasksMax,
    }));
    const aliases = [targetAlias, ...props.sources.map((s) => s.alias)];
    const prefixed = (key: string) => aliases.some((a) => key.startsWith(`${a}.`) || key.startsWith(`${a}->`));
    const global = Object.entries(props_).filter(([k]) => !prefixed(k) && !['clusters', 'tasks.max', 'plugin.discovery'].includes(k));
    const connector = Object.fromEntries(global.filter(([k]) => !CONNECT_STORAGE.test(k)));
    const withPrefix = (alias: string, kind: 'producer' | 'consumer') =>
      Object.fromEntries(Object.entries(props_).filter(([k]) => k.startsWith(`${alias}.${kind}.`)).map(([k, v]) => [k.slice(alias.length + 1), v]));

    const resources = props.resources ?? { cpu: '250m', memory: '768Mi' };
    this.resource = new KafkaMirrorMaker2(this, 'mm2', {
      metadata: { name, labels: { 'app.kubernetes.io/part-of': 'continuum-ddnn', 'ddnn.dev/layer': targetAlias } },
      spec: {
        version: KAFKA_VERSION,
        replicas: 1,
        connectCluster: targetAlias,
        clusters: [
          // The Connect cluster: its storage topics, and the producer that writes the copies (low latency).
          {
            alias: targetAlias,
            bootstrapServers: target.bootstrapServers,
            config: { ...Object.fromEntries(global.filter(([k]) => CONNECT_STORAGE.test(k))), ...withPrefix(targetAlias, 'producer') },
          },
          ...props.sources.map((s) => ({
            alias: s.alias,
            bootstrapServers: s.bootstrapServers,
            tls: s.security ? { trustedCertificates: [{ secretName: s.security.caSecretName, certificate: 'ca.crt' }] } : undefined,
            authentication: s.security
              ? {
                  type: KafkaMirrorMaker2SpecClustersAuthenticationType.SCRAM_HYPHEN_SHA_HYPHEN_512,
                  username: s.security.username,
                  passwordSecret: { secretName: s.security.credentialsSecretName, password: 'password' },
                }
              : undefined,
          })),
        ],
        mirrors: props.sources.map((s) => ({
          sourceCluster: s.alias,
          targetCluster: targetAlias,
          topicsPattern: props_[`${s.alias}->${targetAlias}.topics`].split(',').join('|'),
          sourceConnector: { tasksMax, config: { ...connector, ...withPrefix(s.alias, 'consumer') } },
        })),
        resources: {
          requests: { cpu: KafkaMirrorMaker2SpecResourcesRequests.fromString(resources.cpu), memory: KafkaMirrorMaker2SpecResourcesRequests.fromString(resources.memory) },
          limits: { memory: KafkaMirrorMaker2SpecResourcesLimits.fromString(resources.memory) },
        },
      },
    });
  }
}
