/**
 * SCRAM-SHA-512 users and their ACLs on a Strimzi cluster as `KafkaUser` resources (Strimzi's user operator): the
 * same declarations as KafkaAccess, each password taken from a Secret the operator of the layer creates.
 */
import { Construct } from 'constructs';
import {
  KafkaUser,
  KafkaUserSpecAuthenticationType,
  KafkaUserSpecAuthorizationAclsOperations,
  KafkaUserSpecAuthorizationAclsResourcePatternType,
  KafkaUserSpecAuthorizationAclsResourceType,
  KafkaUserSpecAuthorizationType,
} from '../../imports/strimzi/kafka.strimzi.io';
import { type AclGrant, type AclOperation, type ScramUser, checkAccess } from '../kafka-access';
import type { StrimziKafkaCluster } from './strimzi-kafka-cluster';

export interface StrimziKafkaAccessProps {
  readonly cluster: StrimziKafkaCluster;
  readonly users: ScramUser[];
  readonly acls: AclGrant[];
}

const OPERATION: Record<AclOperation, KafkaUserSpecAuthorizationAclsOperations> = {
  Read: KafkaUserSpecAuthorizationAclsOperations.READ,
  Write: KafkaUserSpecAuthorizationAclsOperations.WRITE,
  Describe: KafkaUserSpecAuthorizationAclsOperations.DESCRIBE,
  DescribeConfigs: KafkaUserSpecAuthorizationAclsOperations.DESCRIBE_CONFIGS,
  Create: KafkaUserSpecAuthorizationAclsOperations.CREATE,
  All: KafkaUserSpecAuthorizationAclsOperations.ALL,
};
const RESOURCE = {
  topic: KafkaUserSpecAuthorizationAclsResourceType.TOPIC,
  group: KafkaUserSpecAuthorizationAclsResourceType.GROUP,
  cluster: KafkaUserSpecAuthorizationAclsResourceType.CLUSTER,
} as const;

export class StrimziKafkaAccess extends Construct {
  readonly cluster: StrimziKafkaCluster;
  /** Secrets holding the passwords, each with the keys it needs (the operator creates them). */
  readonly secrets: { readonly name: string; readonly keys: string[] }[];
  /** Escape hatch: the KafkaUser resources, in declaration order. */
  readonly resources: KafkaUser[];

  constructor(scope: Construct, id: string, props: StrimziKafkaAccessProps) {
    super(scope, id);
    const { cluster } = props;
    this.cluster = cluster;
    if (!cluster.secureWan) throw new Error(`StrimziKafkaAccess ${cluster.name}: the cluster's secureWan must be set: without SASL there are no users and no authorizer`);
    this.secrets = checkAccess(`StrimziKafkaAccess ${cluster.name}`, props.users, props.acls);
    // Strimzi takes the SCRAM user name from the resource name, so it must be a Kubernetes name as it is.
    for (const u of props.users)
      if (!/^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/.test(u.name))
        throw new Error(`StrimziKafkaAccess ${cluster.name}: user "${u.name}" must be a lower-case Kubernetes name (Strimzi names the SCRAM user after its KafkaUser)`);
    this.resources = props.users.map(
      (u, i) =>
        new KafkaUser(this, `user-${i}`, {
          metadata: { name: u.name, labels: { 'strimzi.io/cluster': cluster.name } },
          spec: {
            authentication: {
              type: KafkaUserSpecAuthenticationType.SCRAM_HYPHEN_SHA_HYPHEN_512,
              password: { valueFrom: { secretKeyRef: { name: u.secretName, key: u.key ?? u.name } } },
            },
            authorization: {
              type: KafkaUserSpecAuthorizationType.SIMPLE,
              acls: props.acls
                .filter((a) => a.user === u.name)
                .map((a) => ({
                  resource: {
                    type: RESOURCE[a.resource],
                    name: a.name,
                    patternType:
                      a.resource === 'cluster'
                        ? undefined
                        : a.pattern === 'prefixed'
                          ? KafkaUserSpecAuthorizationAclsResourcePatternType.PREFIX
                          : KafkaUserSpecAuthorizationAclsResourcePatternType.LITERAL,
                  },
                  operations: a.operations.map((o) => OPERATION[o]),
                })),
            },
          },
        }),
    );
  }
}
