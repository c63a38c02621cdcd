/**
 * Produce latency across the emulated WAN, the way a worker answers or forwards to another layer's cluster:
 * a producer reaching a KRaft broker through its WAN link (15 ms one way, 100 Mbit/s) sends `--rate` records per
 * second without waiting for acknowledgements; a consumer on the broker's local listener (long poll) records when
 * each record arrives. Compared in one run: kafkajs' idempotent producer (one request in flight per broker),
 * non-idempotent producers with 5 and 32 requests in flight, and 5 in flight without TCP_NODELAY (kafkajs' own socket
 * factory). Figures are send → consumed, so they include one WAN crossing (15 ms) and the local fetch.
 *
 *   npm run bench:wan-produce -- [--rate 100] [--records 300] [--latency 15]
 *
 * Prints a table and writes results/wan-produce-<timestamp>.json with the machine's load average.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import { Kafka, type ProducerConfig } from 'kafkajs';
import { latencySummary } from '../../runtime/collector/collect';
import { ACKS_ALL, clientConfig, LOW_LATENCY_CONSUMER, LOW_LATENCY_PRODUCER } from '../../runtime/kafka/client-settings';
import { startCluster } from '../../runtime/kafka/cluster';

const ROOT = path.resolve(__dirname, '..', '..');

interface Variant {
  name: string;
  producer: ProducerConfig;
  nagle: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'idempotent (1 in flight)', producer: LOW_LATENCY_PRODUCER, nagle: false },
  { name: '5 in flight, Nagle on', producer: { ...LOW_LATENCY_PRODUCER, idempotent: false, maxInFlightRequests: 5 }, nagle: true },
  { name: '5 in flight', producer: { ...LOW_LATENCY_PRODUCER, idempotent: false, maxInFlightRequests: 5 }, nagle: false },
  { name: '32 in flight (worker default)', producer: { ...LOW_LATENCY_PRODUCER, idempotent: false, maxInFlightRequests: 32 }, nagle: false },
];

async function main(): Promise<void> {
  const o = new Command('bench:wan-produce')
    .option('--rate <n>', 'records per second offered', Number, 100)
    .option('--records <n>', 'records per variant', Number, 300)
    .option('--latency <ms>', 'one-way WAN latency', Number, 15)
    .parse()
    .opts<{ rate: number; records: number; latency: number }>();
  const loadAtStart = os.loadavg();
  const cluster = await startCluster({ name: 'bench-wan', wan: { latencyMs: o.latency, bandwidthBytesPerSec: 12_500_000 } });
  const rows: { variant: string; summary: ReturnType<typeof latencySummary>; received: number }[] = [];
  try {
    for (const [i, v] of VARIANTS.entries()) {
      const topic = `wan-${i}`;
      await cluster.createTopics([{ name: topic }]);
      const base = clientConfig(`bench-wan-${i}`, cluster.wanBootstrapServers);
      // Without the project's socket factory kafkajs uses its own (Nagle's algorithm on).
      const remote = new Kafka(v.nagle ? { ...base, socketFactory: undefined } : base);
      const producer = remote.producer(v.producer);
      await producer.connect();
      const consumer = new Kafka(clientConfig(`bench-wan-c${i}`, cluster.bootstrapServers)).consumer({ ...LOW_LATENCY_CONSUMER, groupId: `bench-wan-${i}` });
      const latencies: number[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
      await consumer.run({
        eachMessage: async ({ message }) => {
          latencies.push(performance.timeOrigin + performance.now() - Number(message.key!.toString()));
        },
      });
      await joined;
      await producer.send({ topic, acks: ACKS_ALL, messages: [{ key: String(performance.timeOrigin + performance.now()), value: Buffer.alloc(300) }] }); // metadata + connection
      await new Promise((r) => setTimeout(r, 1000));
      latencies.length = 0;
      for (let n = 0; n < o.records; n++) {
        void producer.send({ topic, acks: ACKS_ALL, messages: [{ key: String(performance.timeOrigin + performance.now()), value: Buffer.alloc(300) }] });
        await new Promise((r) => setTimeout(r, 1000 / o.rate));
      }
      const deadline = Date.now() + 60_000;
      while (latencies.length < o.records && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      rows.push({ variant: v.name, summary: latencySummary(latencies), received: latencies.length });
      process.stderr.write(`[bench:wan-produce] ${v.name}: ${latencies.length}/${o.records} received\n`);
      await consumer.disconnect();
      await producer.disconnect();
    }
  } finally {
    await cluster.stop();
  }
  console.log(`\nproduce across a ${o.latency} ms WAN link, ${o.rate} records/s of 300 B, send → consumed (ms)      p50     p95     p99     max`);
  for (const r of rows) {
    const s = r.summary;
    console.log(`  ${r.variant.padEnd(40)} ${s.p50Ms.toFixed(1).padStart(7)} ${s.p95Ms.toFixed(1).padStart(7)} ${s.p99Ms.toFixed(1).padStart(7)} ${s.maxMs.toFixed(1).padStart(7)}`);
  }
  fs.mkdirSync(path.join(ROOT, 'results'), { recursive: true });
  const file = path.join(ROOT, 'results', `wan-produce-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), machine: { loadAverageAtStart: loadAtStart, loadAverageAtEnd: os.loadavg(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version }, config: o, rows }, null, 2));
  console.log(`wrote ${path.relative(ROOT, file)}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
