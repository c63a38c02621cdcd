/**
 * Where the Apache Kafka jars live locally, and fetching them on demand (runtime/kafka/fetch-kafka.sh).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { KAFKA_VERSION } from '../../contracts/versions';

export const REPO_ROOT = path.resolve(__dirname, '../..');
const FETCH_SCRIPT = path.join(REPO_ROOT, 'runtime/kafka/fetch-kafka.sh');

export interface KafkaDistribution {
  readonly version: string;
  readonly libsDir: string;
  /** The JVM classpath (a `libs/*` wildcard, expanded by java itself). */
  readonly classpath: string;
  readonly java: string;
}

function cacheDir(): string {
  return path.join(REPO_ROOT, '.cache/kafka', KAFKA_VERSION);
}

/** Fails with an actionable message when java is missing. */
export function requireJava(java = 'java'): void {
  const r = spawnSync(java, ['-version'], { stdio: 'ignore' });
  if (r.error || r.status !== 0) {
    throw new Error(`Apache Kafka needs Java 17+: '${java}' could not be run. Install a JDK (apt-get install openjdk-17-jdk-headless).`);
  }
}

/**
 * The local Kafka distribution; fetches it first (Maven, a few seconds once cached by Maven) unless
 * `fetch` is false, in which case a missing cache is an error that says which command fills it.
 */
export function kafkaDistribution(opts: { fetch?: boolean; java?: string } = {}): KafkaDistribution {
  const dir = cacheDir();
  const java = opts.java ?? 'java';
  if (!existsSync(path.join(dir, '.complete'))) {
    if (opts.fetch === false) {
      throw new Error(`Apache Kafka ${KAFKA_VERSION} jars are missing in ${dir}/libs. Run: npm run kafka:fetch`);
    }
    const r = spawnSync('bash', [FETCH_SCRIPT], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) {
      throw new Error(`Fetching Apache Kafka ${KAFKA_VERSION} failed (exit ${r.status}); see the output of: npm run kafka:fetch`);
    }
  }
  requireJava(java);
  const libsDir = path.join(dir, 'libs');
  return { version: KAFKA_VERSION, libsDir, classpath: `${libsDir}/*`, java };
}
