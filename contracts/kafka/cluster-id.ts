/**
 * KRaft cluster ids. Kafka's format is 16 bytes as URL-safe base64 without padding (22 characters); like
 * `Uuid.randomUuid()`, an id must never start with '-', or `kafka-storage format --cluster-id -…` reads it as an
 * option. About 1 id in 64 would, so the derivation re-hashes until it does not.
 */
import { createHash } from 'crypto';

/**
 * The cluster id derived from `seed`: stable for the manifests (seed = layer/cluster name, so a re-synth keeps the
 * storage format), fresh for local clusters (seed = random bytes).
 */
export function kraftClusterId(seed: string): string {
  for (let attempt = 0; ; attempt++) {
    const input = attempt === 0 ? `ddnn-kraft:${seed}` : `ddnn-kraft:${seed}#${attempt}`;
    const id = createHash('sha256').update(input).digest().subarray(0, 16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
