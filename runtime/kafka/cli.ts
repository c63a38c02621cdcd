/**
 * Local Kafka from the command line. Runs until Ctrl-C, then stops every JVM it started.
 *
 *   npm run kafka -- start --name edge --brokers 1 --coordination kraft
 *   npm run kafka -- continuum --edge-to-cloud deviceedge,edgecloud --cloud-to-edge cloudedge
 *   npm run kafka -- fetch
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Coordination } from '../../contracts/kafka/broker-settings';
import { startCluster, type LocalKafkaCluster } from './cluster';
import { startContinuum } from './continuum';
import { kafkaDistribution } from './distribution';
import type { WanLinkOptions } from './wan-link';

const int = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}`);
  return n;
};
const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

interface WanFlags {
  wanLatencyMs?: number;
  wanJitterMs?: number;
  wanBandwidth?: number;
}

function wanOptions(o: WanFlags): WanLinkOptions | undefined {
  if (o.wanLatencyMs === undefined && o.wanJitterMs === undefined && o.wanBandwidth === undefined) return undefined;
  return { latencyMs: o.wanLatencyMs ?? 0, jitterMs: o.wanJitterMs ?? 0, bandwidthBytesPerSec: o.wanBandwidth };
}

function describe(c: LocalKafkaCluster) {
  return {
    name: c.name,
    coordination: c.coordination,
    brokers: c.brokerCount,
    bootstrapServers: c.bootstrapServers,
    wanBootstrapServers: c.wanBootstrapServers,
    wan: c.wanLink?.shape ?? null,
    dataDir: c.dataDir,
    pids: c.pids(),
    // A local, throwaway login (the CA and password die with the data dir): printed so clients can connect.
    ...(c.security
      ? { security: { protocol: 'SASL_SSL', mechanism: 'SCRAM-SHA-512', caFile: c.security.caFile, username: c.security.username, password: c.security.password } }
      : {}),
  };
}

/** Prints one line per event: JSON with --json, readable text otherwise. */
function report(json: boolean, event: string, data: Record<string, unknown>): void {
  if (json) {
    console.log(JSON.stringify({ event, ...data }));
    return;
  }
  console.log(`[kafka] ${event}`);
  for (const [k, v] of Object.entries(data)) console.log(`  ${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
}

/**
 * Stops on SIGINT/SIGTERM. A second Ctrl-C exits at once (the exit hook SIGKILLs the JVMs); signals
 * within the first 2 s are taken as one, because a terminal's Ctrl-C reaches this process both directly
 * and relayed by npm/tsx.
 */
function runUntilSignal(json: boolean, stop: () => Promise<void>): void {
  let stoppingSince = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppingSince) {
      if (Date.now() - stoppingSince > 2000) process.exit(130);
      return;
    }
    stoppingSince = Date.now();
    report(json, 'stopping', { signal });
    stop().then(
      () => {
        report(json, 'stopped', {});
        process.exit(0);
      },
      (e: Error) => {
        console.error(e.message);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (!json) console.log('[kafka] running; Ctrl-C stops everything');
}

const wanFlags = (cmd: Command, what: string) =>
  cmd
    .option('--wan-latency-ms <ms>', `one-way latency of the WAN link in front of ${what}`, int('--wan-latency-ms', 0))
    .option('--wan-jitter-ms <ms>', 'extra uniform jitter (ms)', int('--wan-jitter-ms', 0))
    .option('--wan-bandwidth <bytesPerSec>', 'WAN bandwidth per direction (bytes/s)', int('--wan-bandwidth', 1));

const program = new Command('kafka').description('Local Apache Kafka clusters for continuum-ddnn');

program
  .command('fetch')
  .description('resolve the pinned Apache Kafka jars with Maven into .cache/kafka')
  .action(() => {
    const d = kafkaDistribution();
    console.log(`Apache Kafka ${d.version}: ${d.libsDir}`);
  });

wanFlags(
  program
    .command('start')
    .description('start one named cluster on 127.0.0.1')
    .requiredOption('--name <name>', 'cluster name, e.g. edge')
    .option('--brokers <n>', 'brokers (1-3)', int('--brokers', 1, 3), 1)
    .addOption(new Option('--coordination <mode>', 'cluster coordination').choices(['kraft', 'zookeeper']).default('kraft'))
    .option('--topic <name:partitions:rf[:minIsr]...>', 'create topics', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--keep-data', 'keep the data directory after stopping', false)
    .option('--secure', 'TLS + SASL/SCRAM on every client listener (KRaft; prints the CA file and admin login)', false)
    .option('--json', 'print events as JSON lines', false),
  'the brokers',
).action(async (o: { name: string; brokers: number; coordination: Coordination; topic: string[]; keepData: boolean; secure: boolean; json: boolean } & WanFlags) => {
  const cluster = await startCluster({
    name: o.name,
    brokers: o.brokers,
    coordination: o.coordination,
    wan: wanOptions(o),
    keepDataDir: o.keepData,
    security: o.secure ? {} : undefined,
  });
  runUntilSignal(o.json, () => cluster.stop());
  await cluster.createTopics(o.topic.map(parseTopic));
  report(o.json, 'ready', describe(cluster));
});

wanFlags(
  program
    .command('continuum')
    .description('start edge and cloud clusters plus MirrorMaker 2 between them')
    .option('--edge-brokers <n>', 'edge brokers (1-3)', int('--edge-brokers', 1, 3), 1)
    .option('--cloud-brokers <n>', 'cloud brokers (1-3)', int('--cloud-brokers', 1, 3), 1)
    .addOption(new Option('--coordination <mode>', 'coordination of both clusters').choices(['kraft', 'zookeeper']).default('kraft'))
    .option('--edge-to-cloud <topics>', 'topics mirrored edge→cloud (comma-separated)', list, ['edgecloud'])
    .option('--cloud-to-edge <topics>', 'topics mirrored cloud→edge (comma-separated)', list, ['cloudedge'])
    .option('--partitions <n>', 'partitions of the mirrored topics', int('--partitions', 1), 1)
    .option('--json', 'print events as JSON lines', false),
  'the cloud cluster',
).action(
  async (o: {
    edgeBrokers: number;
    cloudBrokers: number;
    coordination: Coordination;
    edgeToCloud: string[];
    cloudToEdge: string[];
    partitions: number;
    json: boolean;
  } & WanFlags) => {
    const c = await startContinuum({
      edge: { brokers: o.edgeBrokers, coordination: o.coordination },
      cloud: { brokers: o.cloudBrokers, coordination: o.coordination, wan: wanOptions(o) },
      topics: [...o.edgeToCloud, ...o.cloudToEdge].map((name) => ({ name, partitions: o.partitions })),
      edgeToCloud: o.edgeToCloud,
      cloudToEdge: o.cloudToEdge,
    });
    runUntilSignal(o.json, () => c.stop());
    report(o.json, 'ready', {
      edge: describe(c.edge),
      cloud: describe(c.cloud),
      mirrorMakers: [
        ...(c.edgeToCloud ? [{ pid: c.edgeToCloud.pid, topics: o.edgeToCloud, direction: 'edge→cloud', log: c.edgeToCloud.logFile }] : []),
        ...(c.cloudToEdge ? [{ pid: c.cloudToEdge.pid, topics: o.cloudToEdge, direction: 'cloud→edge', log: c.cloudToEdge.logFile }] : []),
      ],
    });
  },
);

function parseTopic(v: string) {
  const [name, partitions, rf, minIsr] = v.split(':');
  const num = (s: string | undefined) => (s === undefined || s === '' ? undefined : Number(s));
  return { name, partitions: num(partitions), replicationFactor: num(rf), minInsyncReplicas: num(minIsr) };
}

program.parseAsync().catch((e: Error) => {
  console.error(`kafka: ${e.message}`);
  process.exit(1);
});
