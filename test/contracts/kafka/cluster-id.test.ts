import { createHash } from 'crypto';
import { kraftClusterId } from '../../../contracts/kafka/cluster-id';

describe('kraftClusterId', () => {
  test('is 22 URL-safe base64 characters and never starts with "-"', () => {
    for (let i = 0; i < 5000; i++) expect(kraftClusterId(`seed-${i}`)).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });

  test('re-hashes a seed whose first hash starts with "-" (kafka-storage would read it as an option)', () => {
    const first = (seed: string) => createHash('sha256').update(`ddnn-kraft:${seed}`).digest().subarray(0, 16).toString('base64url');
    const dashed = Array.from({ length: 2000 }, (_, i) => `layer-${i}/kafka`).filter((s) => first(s).startsWith('-'));
    expect(dashed.length).toBeGreaterThan(0); // ~1 in 64
    for (const seed of dashed) {
      expect(kraftClusterId(seed)).not.toMatch(/^-/);
      expect(kraftClusterId(seed)).toBe(kraftClusterId(seed));
    }
  });

  test('keeps the first hash otherwise, so synthesized ids of existing clusters do not change', () => {
    const seed = 'edge/kafka';
    expect(kraftClusterId(seed)).toBe(createHash('sha256').update(`ddnn-kraft:${seed}`).digest().subarray(0, 16).toString('base64url'));
  });
});
