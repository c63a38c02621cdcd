/**
 * The JMX exporter rules of constructs/k8s/broker-metrics.ts on real JVMs: a Kafka 3.9.1 broker (KRaft, one node)
 * and a MirrorMaker 2 copying a topic, both started with the pinned java agent (fetched from Maven Central by
 * Maven, checked against the SHA-256 the manifests' init container checks) and the rules file the ConfigMap holds.
 * Every Kafka series the alerts and the dashboard read must appear on their /metrics.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { Kafka, logLevel } from 'kafkajs';
import { kraftClusterId } from '../../contracts/kafka/cluster-id';
import { OPERATIONS } from '../../contracts/versions';
import { AlertRules } from '../../constructs/k8s/alert-rules';
import { jmxExporterConfig } from '../../constructs/k8s/broker-metrics';
import { kafkaDistribution, REPO_ROOT } from '../../runtime/kafka/distribution';
import { JvmProcess } from '../../runtime/kafka/jvm-process';
import { freePorts, waitForPort } from '../../runtime/kafka/ports';

jest.setTimeout(180_000);

const { version } = OPERATIONS.jmxExporter;
const AGENT_DIR = path.join(REPO_ROOT, '.cache', 'jmx-exporter', version);
const AGENT = path.join(AGENT_DIR, `jmx_prometheus_javaagent-${version}.jar`);

/** The agent jar from Maven Central (Maven checks its checksums), cached like the Kafka jars. */
function agentJar(): string {
  if (!fs.existsSync(AGENT))
    execFileSync('mvn', ['-B', '-q', '--strict-checksums', 'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy', `-Dartifact=io.prometheus.jmx:jmx_prometheus_javaagent:${version}`, `-DoutputDirectory=${AGENT_DIR}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  return AGENT;
}

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return res.text();
}

/** Scrapes until every name is there (metrics appear as the JVM registers them). */
async function scrapeUntil(port: number, names: string[], timeoutMs: number, tick?: () => Promise<void>): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  for (;;) {
    text = await scrape(port).catch(() => '');
    const missing = names.filter((n) => !new RegExp(`^${n}[{ ]`, 'm').test(text));
    if (missing.length === 0) return text;
    if (Date.now() > deadline) throw new Error(`missing on :${port}/metrics after ${timeoutMs} ms: ${missing.join(', ')}`);
    await tick?.();
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describe('JMX exporter rules on a real broker and MirrorMaker 2', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddnn-jmx-'));
  const jvms: JvmProcess[] = [];
  let brokerPort = 0;
  let brokerMetrics = 0;
  let mmMetrics = 0;
  let agent = '';

  beforeAll(async () => {
    agent = agentJar();
    const dist = kafkaDistribution();
    const [p, c, bm, mm] = await freePorts(4);
    brokerPort = p;
    brokerMetrics = bm;
    mmMetrics = mm;
    const rules = path.join(dir, 'kafka.yaml');
    fs.writeFileSync(rules, jmxExporterConfig());
    const props = path.join(dir, 'server.properties');
    fs.writeFileSync(
      props,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${c}`,
        `listeners=PLAINTEXT://127.0.0.1:${p},CONTROLLER://127.0.0.1:${c}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${p}`,
        'controller.listener.names=CONTROLLER',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        `log.dirs=${path.join(dir, 'logs')}`,
        'offsets.topic.replication.factor=1',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'group.initial.rebalance.delay.ms=0',
      ].join('\n'),
    );
    execFileSync(dist.java, ['-cp', dist.classpath, 'kafka.tools.StorageTool', 'format', `--cluster-id=${kraftClusterId('test/jmx')}`, `--config=${props}`, '--ignore-formatted'], { stdio: 'ignore' });
    const jvm = (name: string, mainClass: string, args: string[], metricsPort: number) =>
      JvmProcess.start(dist, {
        name,
        mainClass,
        args,
        logFile: path.join(dir, `${name}.log`),
        outFile: path.join(dir, `${name}.out`),
        log4jFile: path.join(dir, `${name}-log4j.properties`),
        heapMb: 256,
        jvmOptions: [`-javaagent:${agent}=${metricsPort}:${rules}`],
      });
    jvms.push(jvm('broker', 'kafka.Kafka', [props], bm));
    await waitForPort(p, 60_000);

    const admin = new Kafka({ clientId: 'jmx-test', brokers: [`127.0.0.1:${p}`], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'src', numPartitions: 1, replicationFactor: 1 }] });
    await admin.disconnect();

    // Source and target are the same broker under two aliases: MM2 (default replication policy, unlike the
    // constructs' identity names, which would copy a topic onto itself here) copies src to a.src.
    const mmProps = path.join(dir, 'mm2.properties');
    fs.writeFileSync(
      mmProps,
      [
        'clusters=a,b',
        `a.bootstrap.servers=127.0.0.1:${p}`,
        `b.bootstrap.servers=127.0.0.1:${p}`,
        'a->b.enabled=true',
        'a->b.topics=src',
        'b->a.enabled=false',
        'emit.checkpoints.enabled=false',
        'emit.heartbeats.enabled=false',
        // As contracts/kafka/mirror-maker-settings.ts: no reflective plugin scan (~12 s each on 2 busy cores).
        'plugin.discovery=service_load',
        'b.plugin.discovery=service_load',
        'sync.topic.acls.enabled=false',
        'refresh.topics.interval.seconds=5',
        ...['replication.factor', 'checkpoints.topic.replication.factor', 'heartbeats.topic.replication.factor', 'offset-syncs.topic.replication.factor', 'offset.storage.replication.factor', 'status.storage.replication.factor', 'config.storage.replication.factor'].map((k) => `${k}=1`),
      ].join('\n'),
    );
    jvms.push(jvm('mirror-maker-2', 'org.apache.kafka.connect.mirror.MirrorMaker', [mmProps, '--clusters', 'b'], mm));
  });

  afterAll(async () => {
    for (const j of jvms.reverse()) await j.stop(5_000);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the agent jar from Maven Central has the SHA-256 the init container checks', () => {
    expect(createHash('sha256').update(fs.readFileSync(agent)).digest('hex')).toBe(OPERATIONS.jmxExporter.sha256);
    expect(OPERATIONS.jmxExporter.url).toContain(`/${version}/jmx_prometheus_javaagent-${version}.jar`);
  });

  test('the broker exports the standard series the alerts read, under their usual names', async () => {
    const producer = new Kafka({ clientId: 'jmx-test', brokers: [`127.0.0.1:${brokerPort}`], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const produce = async () => void (await producer.send({ topic: 'src', messages: [{ value: 'x' }] }));
    await produce();
    const text = await scrapeUntil(
      brokerMetrics,
      ['kafka_server_replicamanager_underreplicatedpartitions', 'kafka_server_brokertopicmetrics_bytesin_total', 'kafka_network_requestmetrics_requests_total', 'kafka_network_requestmetrics_totaltimems', 'kafka_controller_kafkacontroller_offlinepartitionscount'],
      60_000,
      produce,
    );
    expect(text).toMatch(/^kafka_server_brokertopicmetrics_bytesin_total\{topic="src",?\} [1-9]/m);
    expect(text).toMatch(/^kafka_network_requestmetrics_totaltimems\{[^}]*quantile="0.99"/m);
    await producer.disconnect();
  });

  test('MirrorMaker 2 exports its replication latency, and every Kafka series of the alerts exists', async () => {
    const producer = new Kafka({ clientId: 'jmx-test-mm', brokers: [`127.0.0.1:${brokerPort}`], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const produce = async () => void (await producer.send({ topic: 'src', messages: [{ value: 'y' }] }));
    const mm = await scrapeUntil(mmMetrics, ['kafka_connect_mirror_source_connector_replication_latency_ms_max'], 90_000, produce);
    expect(mm).toMatch(/^kafka_connect_mirror_source_connector_replication_latency_ms_max\{[^}]*topic="a\.src"/m);
    await producer.disconnect();

    const broker = await scrape(brokerMetrics);
    const exported = new Set([...`${broker}\n${mm}`.matchAll(/^(kafka_[a-z0-9_]+)[{ ]/gm)].map((m) => m[1]));
    const chart = new Chart(Testing.app(), 'alerts', { namespace: 'ddnn' });
    const rules = new AlertRules(chart, 'alerts', { layer: 'edge', workerDeployment: 'ddnn-worker', mirrorMaker: true }).rules;
    const used = rules.flatMap((r) => [...r.expr.matchAll(/\bkafka_[a-z0-9_]+/g)].map((m) => m[0]));
    expect(used.length).toBeGreaterThanOrEqual(2);
    expect(used.filter((n) => !exported.has(n))).toEqual([]);
  });
});
