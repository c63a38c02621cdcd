/**
 * Producers the project did not write, for the bad-input tests: Python confluent-kafka (librdkafka) in a test venv
 * under .cache/, and Kafka's own Java producer (ProducerPerformance) from the jars `npm run kafka:fetch` brings.
 * They send with their usual settings — compression, batching, many headers — which is where the records that hurt
 * a consumer come from.
 */
import { spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { kafkaDistribution } from '../../../runtime/kafka/distribution';

const REPO = path.resolve(__dirname, '../../..');
const VENV = path.join(REPO, '.cache/test-venv');
const REQUIREMENTS = path.join(__dirname, 'requirements.txt');

/** The test venv's python, created (pip from PyPI) on first use and whenever requirements.txt changes. */
export function testPython(): string {
  const python = path.join(VENV, 'bin/python');
  const marker = path.join(VENV, '.requirements-sha256');
  const want = createHash('sha256').update(readFileSync(REQUIREMENTS)).digest('hex');
  if (existsSync(python) && existsSync(marker) && readFileSync(marker, 'utf8') === want) return python;
  for (const args of [['python3', ['-m', 'venv', VENV]], [python, ['-m', 'pip', 'install', '-q', '-r', REQUIREMENTS]]] as const) {
    const r = spawnSync(args[0], [...args[1]], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${args[0]} ${args[1].join(' ')} failed (exit ${r.status})`);
  }
  writeFileSync(marker, want);
  return python;
}

export interface ForeignRecord {
  key: Buffer | null;
  value: Buffer | null;
  /** in order; a null value is a header without a value */
  headers?: [string, Buffer | string | null][];
}

export interface ProducerGroup {
  topic: string;
  /** librdkafka settings, e.g. { 'compression.type': 'zstd', 'linger.ms': 20 } */
  config?: Record<string, string | number>;
  records: ForeignRecord[];
}

const b64 = (v: Buffer | string | null | undefined) => (v == null ? null : Buffer.from(v).toString('base64'));

/** Produces every group with its own confluent-kafka Producer; resolves with the delivered count per group. */
export async function produceWithPython(bootstrap: string, groups: ProducerGroup[]): Promise<number[]> {
  const input = JSON.stringify({
    bootstrap,
    groups: groups.map((g) => ({
      topic: g.topic,
      config: g.config ?? {},
      records: g.records.map((r) => ({ key: b64(r.key), value: b64(r.value), headers: (r.headers ?? []).map(([k, v]) => [k, b64(v)]) })),
    })),
  });
  const child = spawn(testPython(), [path.join(__dirname, 'produce.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.end(input);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const reports = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { delivered: number; errors: string[] });
  if (code !== 0) throw new Error(`confluent-kafka producer failed (exit ${code}): ${out}\n${err.slice(-2000)}`);
  return reports.map((r) => r.delivered);
}

/** Kafka's Java producer: `count` records of `size` random bytes, no key, no headers, with the given codec. */
export function produceWithJava(bootstrap: string, topic: string, compression: 'gzip' | 'snappy' | 'lz4' | 'zstd', count: number, size: number): void {
  const dist = kafkaDistribution();
  const r = spawnSync(
    dist.java,
    [
      '-cp',
      dist.classpath,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(count),
      '--record-size',
      String(size),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${bootstrap}`,
      `compression.type=${compression}`,
      'acks=all',
      'linger.ms=20',
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (r.status !== 0) throw new Error(`Java ProducerPerformance (${compression}) failed (exit ${r.status}): ${r.stdout}\n${r.stderr}`);
}
