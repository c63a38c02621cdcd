/**
 * TLS + SASL/SCRAM for the local launcher, and the client settings that go with it.
 *
 * At start a cluster with `security` gets a throwaway CA and a broker certificate (openssl, into its data dir:
 * never committed, gone with the cluster), SCRAM-SHA-512 credentials written into the KRaft metadata when the
 * storage is formatted (`kafka-storage format --add-scram`), and every client listener (INTERNAL, WAN) on SASL_SSL.
 * The KRaft controller listener stays PLAINTEXT on 127.0.0.1 (controllers cannot use SCRAM: the credentials live in
 * the metadata they serve). With `authorizer`, KRaft's StandardAuthorizer denies what no ACL allows.
 *
 * The property builders are pure; only `createLocalPki` and `randomPassword` touch the outside world.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { Properties } from '../../contracts/kafka/broker-settings';
import { ADMIN_USER, SCRAM_MECHANISM, scramJaas } from '../../contracts/kafka/security';

export { ADMIN_USER, SCRAM_MECHANISM, scramJaas };

export interface LocalSecurityOptions {
  /** More SCRAM users (name → password), created with the cluster, e.g. one per device and per worker. */
  readonly users?: Readonly<Record<string, string>>;
  /** Enable the StandardAuthorizer: only the admin and what ACLs allow. @default false */
  readonly authorizer?: boolean;
}

/** What a client needs to talk to a secured cluster: the CA to trust and a SCRAM user. */
export interface ClientSecurity {
  /** PEM of the CA that signed the brokers' certificates. */
  readonly caPem: string;
  /** Same CA as a file, for Java clients (MirrorMaker 2) and workers configured by path. */
  readonly caFile: string;
  readonly username: string;
  readonly password: string;
}

export interface LocalPki {
  readonly caFile: string;
  readonly caPem: string;
  readonly keystoreFile: string;
  readonly keystorePassword: string;
}

export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}

const USER = /^[A-Za-z0-9._-]{1,64}$/;

/** Validates user names and passwords (they end up in JAAS strings and the format command). */
export function checkUsers(users: Readonly<Record<string, string>>): void {
  for (const [name, password] of Object.entries(users)) {
    if (!USER.test(name)) throw new Error(`security.users: name "${name}" must match ${USER}`);
    if (name === ADMIN_USER) throw new Error(`security.users: "${ADMIN_USER}" is the broker's own user`);
    if (password.length < 8 || /["\\,\]=\s]/.test(password)) {
      throw new Error(`security.users: password of "${name}" must be ≥ 8 characters without quotes, backslashes, commas, ], = or spaces`);
    }
  }
}

/**
 * A throwaway CA and one broker certificate for 127.0.0.1/localhost (EC P-256, valid 2 days) in `dir`, the broker's
 * key and chain in a PKCS12 keystore. Uses openssl; fails with the command's output when it is missing.
 */
export function createLocalPki(dir: string): LocalPki {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (name: string) => path.join(dir, name);
  const keystorePassword = randomPassword();
  writeFileSync(f('san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  const steps: string[][] = [
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=continuum-ddnn local CA'],
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('broker.key'), '-out', f('broker.csr'), '-subj', '/CN=localhost'],
    ['x509', '-req', '-in', f('broker.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('broker.crt'), '-days', '2', '-extfile', f('san.cnf')],
    ['pkcs12', '-export', '-in', f('broker.crt'), '-inkey', f('broker.key'), '-certfile', f('ca.crt'), '-name', 'broker', '-out', f('broker.p12'), '-passout', `pass:${keystorePassword}`],
  ];
  for (const args of steps) {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new Error(`openssl ${args[0]} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr ?? ''}`);
    }
  }
  return { caFile: f('ca.crt'), caPem: readFileSync(f('ca.crt'), 'utf8'), keystoreFile: f('broker.p12'), keystorePassword };
}

/** Per-listener settings of a SASL_SSL listener (ListenerSpec.security): keystore, mechanism, the broker's own login. */
export function saslSslListenerSecurity(pki: Pick<LocalPki, 'keystoreFile' | 'keystorePassword'>, adminPassword: string): Record<string, string> {
  return {
    'sasl.enabled.mechanisms': SCRAM_MECHANISM,
    [`${SCRAM_MECHANISM.toLowerCase()}.sasl.jaas.config`]: scramJaas(ADMIN_USER, adminPassword),
    'ssl.keystore.type': 'PKCS12',
    'ssl.keystore.location': pki.keystoreFile,
    'ssl.keystore.password': pki.keystorePassword,
    'ssl.key.password': pki.keystorePassword,
  };
}

/** Broker-wide settings: inter-broker SCRAM, trust in the local CA, and optionally the KRaft authorizer. */
export function brokerSecurityProperties(caFile: string, authorizer: boolean): Properties {
  const props: Properties = {
    'sasl.mechanism.inter.broker.protocol': SCRAM_MECHANISM,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': caFile,
    'ssl.endpoint.identification.algorithm': 'https',
  };
  if (authorizer) {
    Object.assign(props, {
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      // ANONYMOUS is the controller listener's principal (PLAINTEXT, 127.0.0.1 only, controller APIs only).
      'super.users': `User:${ADMIN_USER};User:ANONYMOUS`,
      'allow.everyone.if.no.acl.found': 'false',
    });
  }
  return props;
}

/** `--add-scram` arguments of `kafka-storage format` for each user. */
export function formatScramArgs(users: Readonly<Record<string, string>>): string[] {
  return Object.entries(users).flatMap(([name, password]) => ['--add-scram', `${SCRAM_MECHANISM}=[name=${name},password=${password}]`]);
}

/** kafkajs settings for a secured cluster. */
export function kafkajsSecurity(s: ClientSecurity): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const sasl: SASLOptions = { mechanism: 'scram-sha-512', username: s.username, password: s.password };
  return { ssl: { ca: [s.caPem] }, sasl };
}

/** Java client properties (MirrorMaker 2, CLI tools) for a secured cluster. */
export function javaClientSecurity(s: ClientSecurity): Properties {
  return {
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': SCRAM_MECHANISM,
    'sasl.jaas.config': scramJaas(s.username, s.password),
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': s.caFile,
  };
}

/** The same cluster access as another SCRAM user. */
export function asUser(s: ClientSecurity, username: string, password: string): ClientSecurity {
  return { ...s, username, password };
}
