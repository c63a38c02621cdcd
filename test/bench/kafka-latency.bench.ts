/**
 * Kafka latency benchmark (prints figures; not a test). `npm run bench:kafka`
 *
 *  1. produce→consume through one local cluster: kafkajs consumer defaults vs LOW_LATENCY_CONSUMER,
 *     same cluster, same topic layout, same producer, run back to back in this process;
 *  2. MirrorMaker 2 end to end, produced on `edge`, consumed on `cloud`, with the tuned consumer, beside
 *     the one-cluster figure of the same run (the ratio is MM2's cost).
 *
 * Latency = time from producer.send() to eachMessage() for that record, measured in this process.
 * Records are sent at a steady pace (open loop), one at a time, like single inference requests.
 * The two sides of each comparison run in alternating rounds, so load from other work on the machine
 * falls on both alike. Options (env): BENCH_MESSAGES per side (default 300), BENCH_ROUNDS (3),
 * BENCH_INTERVAL_MS (20), BENCH_PARTITIONS (3).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConsumerConfig, Kafka } from 'kafkajs';
import { percentile } from '../../runtime/collector/collect';
import { KAFKA_VERSION } from '../../contracts/versions';
import { ACKS_ALL, LOW_LATENCY_CONSUMER, LOW_LATENCY_PRODUCER } from '../../runtime/kafka/client-settings';
import { startCluster, type LocalKafkaCluster } from '../../runtime/kafka/cluster';
import { startContinuum, type Continuum } from '../../runtime/kafka/continuum';
import { REPO_ROOT } from '../../runtime/kafka/distribution';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MESSAGES = Math.ceil(Number(process.env.BENCH_MESSAGES ?? 300) / ROUNDS);
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 20);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 3);
const WARMUP = Math.min(10, Math.floor(MESSAGES / 10));

interface Summary {
  readonly scenario: string;
  readonly consumer: string;
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

function summarize(scenario: string, consumer: string, samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    scenario,
    consumer,
    n: s.length,
    p50: r(percentile(s, 50)),
    p90: r(percentile(s, 90)),
    p99: r(percentile(s, 99)),
    max: r(s[s.length - 1]),
    mean: r(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

/** Sends MESSAGES records at a steady pace from `from`, receives them on `to`; returns ms per record. */
async function measure(from: Kafka, to: Kafka, topic: string, consumerConfig: Omit<ConsumerConfig, 'groupId'>): Promise<number[]> {
  const consumer = to.consumer({ ...consumerConfig, groupId: `bench-${topic}-${Date.now()}` });
  const producer = from.producer(LOW_LATENCY_PRODUCER);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe({ topic, fromBeginning: false });
  const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let received = 0;
  await consumer.run({
    eachMessage: async ({ message }) => {
      const t = performance.now();
      const id = message.value!.toString();
      const t0 = sentAt.get(id);
      if (t0 === undefined) return; // from an earlier round
      received++;
      if (Number(id.split('-')[1]) >= WARMUP) latencies.push(t - t0);
      if (received >= MESSAGES) resolveDone();
    },
  });
  await joined;
  // The first fetch positions the consumer at the log end; give it a moment before sending.
  await new Promise((r) => setTimeout(r, 1500));
  const round = Math.random().toString(36).slice(2, 8);
  for (let i = 0; i < MESSAGES; i++) {
    const id = `${round}-${i}`;
    sentAt.set(id, performance.now());
    void producer.send({ topic, acks: ACKS_ALL, messages: [{ key: String(i), value: id }] });
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
  }
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000));
  if ((await Promise.race([done, timeout])) === 'timeout') {
    console.warn(`warning: ${topic}: only ${received}/${MESSAGES} records arrived within 60 s`);
  }
  await Promise.all([consumer.disconnect(), producer.disconnect()]);
  return latencies;
}

function javaVersionLine(): string {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return String(r.stderr || r.stdout || 'unknown').split('\n')[0].trim();
}

/** Runs a and b in ROUNDS alternating rounds (a, b, a, b, ...) and pools each side's samples. */
async function alternate(a: () => Promise<number[]>, b: () => Promise<number[]>): Promise<[number[], number[]]> {
  const sa: number[] = [];
  const sb: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    sa.push(...(await a()));
    sb.push(...(await b()));
  }
  return [sa, sb];
}

function table(rows: Summary[]): string {
  const head = ['scenario', 'consumer', 'n', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'mean ms'];
  const body = rows.map((r) => [r.scenario, r.consumer, r.n, r.p50, r.p90, r.p99, r.max, r.mean].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const rows: Summary[] = [];
  let cluster: LocalKafkaCluster | undefined;
  let continuum: Continuum | undefined;
  const started = Date.now();
  const loadAtStart = os.loadavg()[0];
  try {
    console.log(`[bench] one cluster: 1 broker (kraft), topic with ${PARTITIONS} partitions, ${ROUNDS} alternating rounds of ${MESSAGES} records every ${INTERVAL_MS} ms`);
    cluster = await startCluster({ name: 'bench-one', brokers: 1, coordination: 'kraft' });
    await cluster.createTopics([
      { name: 'bench-defaults', partitions: PARTITIONS },
      { name: 'bench-tuned', partitions: PARTITIONS },
    ]);
    const k = cluster.client('bench');
    const [defaults, tuned] = await alternate(
      () => measure(k, k, 'bench-defaults', {}),
      () => measure(k, k, 'bench-tuned', LOW_LATENCY_CONSUMER),
    );
    rows.push(summarize('one cluster', 'kafkajs defaults', defaults), summarize('one cluster', 'tuned', tuned));
    console.log(table(rows.slice(-2)));
    await cluster.stop();
    cluster = undefined;

    console.log('[bench] MirrorMaker 2 edge→cloud: two 1-broker kraft clusters, no WAN emulation');
    continuum = await startContinuum({
      namePrefix: 'bench',
      topics: [{ name: 'bench-mm2', partitions: PARTITIONS }, { name: 'bench-local', partitions: PARTITIONS }, { name: 'bench-back' }],
      edgeToCloud: ['bench-mm2'],
      cloudToEdge: ['bench-back'],
    });
    const edge = continuum.edge.client('bench-edge');
    const cloud = continuum.cloud.client('bench-cloud');
    const [local, mirrored] = await alternate(
      () => measure(edge, edge, 'bench-local', LOW_LATENCY_CONSUMER),
      () => measure(edge, cloud, 'bench-mm2', LOW_LATENCY_CONSUMER),
    );
    rows.push(summarize('edge (same run, baseline)', 'tuned', local), summarize('MM2 edge→cloud', 'tuned', mirrored));
    console.log(table(rows.slice(-2)));
  } finally {
    await cluster?.stop();
    await continuum?.stop();
  }

  const ratio = (a: Summary, b: Summary) => Math.round((a.p50 / b.p50) * 100) / 100;
  const ratios = {
    'one cluster p50, defaults / tuned': ratio(rows[0], rows[1]),
    'one cluster p99, defaults / tuned': Math.round((rows[0].p99 / rows[1].p99) * 100) / 100,
    'MM2 p50 / same-run edge p50': ratio(rows[3], rows[2]),
  };
  console.log(`\n${table(rows)}\n`);
  for (const [k, v] of Object.entries(ratios)) console.log(`${k}: ${v}`);

  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    // Other work on the machine skews latency; both ends of the run are recorded.
    loadAverage1mAtStart: loadAtStart,
    loadAverage1mAtEnd: os.loadavg()[0],
    platform: `${os.type()} ${os.release()}`,
    node: process.version,
    java: javaVersionLine(),
    kafka: KAFKA_VERSION,
    kafkajs: require('kafkajs/package.json').version as string,
  };
  const result = {
    benchmark: 'kafka-latency',
    date: new Date().toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    command: 'npm run bench:kafka',
    settings: {
      rounds: ROUNDS,
      messagesPerRound: MESSAGES,
      warmupDiscardedPerRound: WARMUP,
      intervalMs: INTERVAL_MS,
      partitions: PARTITIONS,
      brokersPerCluster: 1,
      coordination: 'kraft',
      acks: 'all',
      producer: LOW_LATENCY_PRODUCER,
      tunedConsumer: LOW_LATENCY_CONSUMER,
      mirrorMaker: 'dedicated mode, IdentityReplicationPolicy, linger.ms 0, fetch.max.wait.ms 500 (see mirror-maker-settings.ts)',
      wanEmulation: 'none',
    },
    machine,
    results: rows,
    ratios,
  };
  const dir = path.join(REPO_ROOT, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `kafka-latency-${result.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nmachine: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, ${machine.java}, Kafka ${machine.kafka}`);
  console.log(`written: ${path.relative(REPO_ROOT, file)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
