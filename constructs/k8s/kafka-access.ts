/**
 * Who may do what on a cluster's WAN listener: SCRAM-SHA-512 users created in the cluster from Secrets, and the
 * ACLs granted to them, applied by a Job running kafka-configs.sh and kafka-acls.sh against the internal listener
 * (whose principal is a super user, see KafkaWanSecurity). Passwords are read from the mounted Secrets when the Job
 * runs, so no manifest carries one. Like KafkaTopics, the Job's name carries a hash of its script: a changed
 * declaration is a new Job (a changed password is not: delete the Job and re-apply to rotate one).
 */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { SCRAM_MECHANISM } from '../../contracts/kafka/security';
import { kafkaAdminJob } from './kafka-admin-job';
import { KafkaCluster } from './kafka-cluster';
import type { IKafkaCluster } from './kafka-endpoint';

/** A SCRAM user whose password is the value of `key` in Secret `secretName`. */
export interface ScramUser {
  readonly name: string;
  readonly secretName: string;
  /** @default - the user's name */
  readonly key?: string;
}

export type AclOperation = 'Read' | 'Write' | 'Describe' | 'DescribeConfigs' | 'Create' | 'All';

/** ALLOW `operations` on one resource to one declared user. */
export interface AclGrant {
  readonly user: string;
  readonly resource: 'topic' | 'group' | 'cluster';
  /** Topic or group name (or prefix); absent for the cluster. */
  readonly name?: string;
  /** @default 'literal' */
  readonly pattern?: 'literal' | 'prefixed';
  readonly operations: AclOperation[];
}

export interface KafkaAccessProps {
  /** A KafkaCluster with `wanSecurity`, or `KafkaCluster.fromExisting(…)` of a cluster with SCRAM and an authorizer. */
  readonly cluster: IKafkaCluster;
  readonly users: ScramUser[];
  readonly acls: AclGrant[];
  /** @default IMAGES.kafka */
  readonly image?: string;
}

const USER = /^[A-Za-z0-9._-]{1,64}$/;
const RESOURCE = /^[A-Za-z0-9._-]{1,249}$/;
const SECRET_MOUNT = '/etc/kafka/users';

/** Checks users and grants (names, duplicates, unknown users, resources); returns the Secrets and keys they read. */
export function checkAccess(where: string, users: readonly ScramUser[], acls: readonly AclGrant[]): { name: string; keys: string[] }[] {
  if (users.length === 0) throw new Error(`${where}: users must not be empty`);
  const names = new Set<string>();
  users.forEach((u, i) => {
    if (!USER.test(u.name)) throw new Error(`${where}: users[${i}].name ("${u.name}") must match ${USER}`);
    if (names.has(u.name)) throw new Error(`${where}: users[${i}].name ("${u.name}") is declared twice`);
    names.add(u.name);
  });
  acls.forEach((a, i) => {
    const at = `${where}: acls[${i}]`;
    if (!names.has(a.user)) throw new Error(`${at}.user ("${a.user}") is not one of the users (${[...names].join(', ')})`);
    if (a.operations.length === 0) throw new Error(`${at}.operations must not be empty`);
    if (a.resource === 'cluster' ? a.name !== undefined : !RESOURCE.test(a.name ?? ''))
      throw new Error(`${at}.name (${a.name}) must be ${a.resource === 'cluster' ? 'absent for the cluster' : `a ${a.resource} name or prefix`}`);
  });

  const secrets = new Map<string, Set<string>>();
  for (const u of users) secrets.set(u.secretName, (secrets.get(u.secretName) ?? new Set()).add(u.key ?? u.name));
  return [...secrets].map(([name, keys]) => ({ name, keys: [...keys] }));
}

export class KafkaAccess extends Construct {
  readonly cluster: IKafkaCluster;
  readonly users: readonly ScramUser[];
  readonly acls: readonly AclGrant[];
  readonly jobName: string;
  /** Escape hatch: the Job as synthesized. */
  readonly job: k8s.KubeJob;
  /** Secrets the Job reads, each with the keys it needs (the operator creates them). */
  readonly secrets: { readonly name: string; readonly keys: string[] }[];

  constructor(scope: Construct, id: string, props: KafkaAccessProps) {
    super(scope, id);
    const { cluster } = props;
    const where = `KafkaAccess ${cluster.name}`;
    this.cluster = cluster;
    this.users = props.users;
    this.acls = props.acls;
    if (cluster instanceof KafkaCluster && !cluster.wanSecurity) throw new Error(`${where}: cluster.wanSecurity must be set: without SASL there are no users and no authorizer`);
    this.secrets = checkAccess(where, props.users, props.acls);
    const volumeOf = new Map(this.secrets.map((s, i) => [s.name, `users-${i}`]));

    const script = [
      'set -e',
      // The password is read from the mounted Secret when the Job runs; SCRAM's [...] syntax cannot hold , ] or =.
      'scram() {',
      '  pw=$(cat "$2")',
      '  case "$pw" in ""|*[,\\]=]*) echo "password of $1 ($2) is empty or contains , ] or =" >&2; exit 1;; esac',
      `  /opt/kafka/bin/kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --alter --entity-type users --entity-name "$1" --add-config "${SCRAM_MECHANISM}=[password=$pw]"`,
      '}',
      'acl() { /opt/kafka/bin/kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --add "$@"; }',
      ...props.users.map((u) => `scram ${u.name} ${SECRET_MOUNT}/${u.secretName}/${u.key ?? u.name}`),
      ...props.acls.map((a) =>
        [
          `acl --allow-principal User:${a.user}`,
          ...a.operations.map((o) => `--operation ${o}`),
          a.resource === 'cluster' ? '--cluster' : `--${a.resource} ${a.name} --resource-pattern-type ${a.pattern ?? 'literal'}`,
        ].join(' '),
      ),
      '/opt/kafka/bin/kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --list',
    ].join('\n');
    this.job = kafkaAdminJob(this, {
      cluster,
      purpose: 'access',
      containerName: 'apply-access',
      script,
      image: props.image,
      volumeMounts: this.secrets.map((s) => ({ name: volumeOf.get(s.name)!, mountPath: `${SECRET_MOUNT}/${s.name}`, readOnly: true })),
      volumes: this.secrets.map((s) => ({
        name: volumeOf.get(s.name)!,
        secret: { secretName: s.name, defaultMode: 0o440, items: s.keys.map((key) => ({ key, path: key })) },
      })),
    });
    this.jobName = this.job.name;
  }
}
