/**
 * The SASL/SCRAM vocabulary every Kafka client and broker of the project agrees on. Pure: the local launcher's
 * certificates and passwords (openssl, random bytes) stay in runtime/kafka/security.ts.
 */

/** The one SASL mechanism of secured listeners, brokers' inter-broker login and every client. */
export const SCRAM_MECHANISM = 'SCRAM-SHA-512';

/** The local launcher's own SCRAM user: inter-broker traffic, its admin client, super user under ACLs. */
export const ADMIN_USER = 'admin';

/** JAAS line of a SCRAM login. */
export function scramJaas(username: string, password: string): string {
  return `org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";`;
}
