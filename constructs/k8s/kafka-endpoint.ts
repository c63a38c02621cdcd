/**
 * How constructs that *use* Kafka see a cluster: bootstrap servers and client security, nothing more. A
 * `KafkaCluster` is one; `KafkaCluster.fromExisting` wraps a cluster the user already runs (Strimzi's, a managed
 * one), so `KafkaTopics`, `KafkaAccess` and `MirrorMaker2` work against either.
 */

import { k8s } from 'cdk8s-plus-28';
import { SCRAM_MECHANISM } from '../../contracts/kafka/security';
import { WORKER_ENV } from '../../contracts/worker-env';

/** SASL_SSL with SCRAM-SHA-512: where a client finds its login and the CA of the brokers' certificates. */
export interface KafkaClientSecurity {
  /** Secret with `username` and `password`. */
  readonly credentialsSecretName: string;
  /** Secret with `ca.crt`, the CA that signed the brokers' certificates. */
  readonly caSecretName: string;
  /**
   * The user name in `credentialsSecretName`, for clients that take it literally rather than from the Secret
   * (Strimzi's KafkaMirrorMaker2). @default - read from the Secret
   */
  readonly username?: string;
}

/** A Kafka cluster as its clients in this chart's namespace reach it. */
export interface IKafkaCluster {
  /** Short DNS-label name; prefixes the names of the Jobs created for this cluster. */
  readonly name: string;
  /** `host:port,…` reachable from pods in this chart's namespace. */
  readonly bootstrapServers: string;
  /** Brokers in the cluster: caps replication factors at synth time. */
  readonly brokers: number;
  /**
   * How clients log in. @default - PLAINTEXT with full rights (a KafkaCluster's internal listener, which its
   * NetworkPolicies keep inside the namespace)
   */
  readonly clientSecurity?: KafkaClientSecurity;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/;
const HOST_PORT = /^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/;

/** Checks the attributes of a cluster reference; errors name the field. */
export function checkKafkaReference(c: IKafkaCluster, where: string): IKafkaCluster {
  if (!DNS_LABEL.test(c.name)) throw new Error(`${where}: name (${c.name}) must be a DNS label of at most 40 characters`);
  const servers = c.bootstrapServers.split(',').map((s) => s.trim());
  const bad = servers.find((s) => !HOST_PORT.test(s));
  if (bad !== undefined) throw new Error(`${where}: bootstrapServers (${c.bootstrapServers}) must be host:port,… ("${bad}" is not)`);
  if (!Number.isInteger(c.brokers) || c.brokers < 1) throw new Error(`${where}: brokers (${c.brokers}) must be an integer ≥ 1`);
  return { name: c.name, bootstrapServers: servers.join(','), brokers: c.brokers, clientSecurity: c.clientSecurity };
}

/** Where a client pod mounts the cluster's CA. */
export const KAFKA_CA_MOUNT = '/etc/ddnn/kafka-ca';

/**
 * A raw-API pod's Kafka login (TrainingJob, AdaptiveController): the worker's `DDNN_KAFKA_*` variables from the
 * credentials Secret, and the CA mounted at KAFKA_CA_MOUNT.
 */
export function kafkaLogin(sec: KafkaClientSecurity): { env: k8s.EnvVar[]; mount: k8s.VolumeMount; volume: k8s.Volume } {
  const fromSecret = (key: string) => ({ secretKeyRef: { name: sec.credentialsSecretName, key } });
  return {
    env: [
      { name: WORKER_ENV.kafkaSaslMechanism, value: SCRAM_MECHANISM.toLowerCase() },
      { name: WORKER_ENV.kafkaSaslUsername, valueFrom: fromSecret('username') },
      { name: WORKER_ENV.kafkaSaslPassword, valueFrom: fromSecret('password') },
      { name: WORKER_ENV.kafkaTlsCaFile, value: `${KAFKA_CA_MOUNT}/ca.crt` },
    ],
    mount: { name: 'kafka-ca', mountPath: KAFKA_CA_MOUNT, readOnly: true },
    volume: { name: 'kafka-ca', secret: { secretName: sec.caSecretName, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
  };
}
