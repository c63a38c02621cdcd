/**
 * A named local Apache Kafka cluster on 127.0.0.1: 1–3 brokers coordinated by ZooKeeper or KRaft,
 * free ports, its own data directory, logs in files, and a stop that leaves no JVM behind.
 *
 * Every broker has two client listeners:
 *   INTERNAL  same-layer clients and inter-broker traffic  → `bootstrapServers`
 *   WAN       clients on another layer of the continuum     → `wanBootstrapServers`
 * With a `wan` shape, each WAN listener advertises its port on a WanLink proxy, so a client that
 * bootstraps through the link keeps going through it for every broker.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Kafka, type Admin } from 'kafkajs';
import {
  brokerProperties,
  LISTENER,
  renderProperties,
  zookeeperProperties,
  type BrokerTuning,
  type Coordination,
  type ListenerSpec,
  type Properties,
} from '../../contracts/kafka/broker-settings';
import { clientConfig } from './client-settings';
import {
  ADMIN_USER,
  brokerSecurityProperties,
  checkUsers,
  createLocalPki,
  formatScramArgs,
  randomPassword,
  saslSslListenerSecurity,
  type ClientSecurity,
  type LocalSecurityOptions,
} from './security';
import { kafkaDistribution, REPO_ROOT, type KafkaDistribution } from './distribution';
import { JvmProcess } from './jvm-process';
import { freePorts, waitForPort } from './ports';
import { createTopics, waitForTopicLeaders, type TopicSpec } from './topics';
import { kraftClusterId } from '../../contracts/kafka/cluster-id';
import { WanLink, type WanLinkOptions } from './wan-link';

const HOST = '127.0.0.1';

export interface ClusterOptions {
  /** Cluster name, e.g. 'edge'; names its data directory and its processes. */
  readonly name: string;
  /** @default 1 */
  readonly brokers?: number;
  /** @default 'kraft' */
  readonly coordination?: Coordination;
  /** Put a WAN link (latency, bandwidth, cut/heal) in front of the WAN listeners. */
  readonly wan?: WanLinkOptions;
  /** @default <repo>/.kafka/<name>-<random> */
  readonly dataDir?: string;
  /** Keep the data directory (logs included) after stop(). @default false */
  readonly keepDataDir?: boolean;
  /** Heap per broker JVM. @default 384 */
  readonly heapMb?: number;
  readonly defaultReplicationFactor?: number;
  readonly minInsyncReplicas?: number;
  readonly tuning?: Partial<BrokerTuning>;
  readonly overrides?: Readonly<Record<string, string>>;
  /** @default 90000 */
  readonly readyTimeoutMs?: number;
  /** Fetch the Kafka jars if they are missing. @default true */
  readonly fetch?: boolean;
  /**
   * TLS + SASL/SCRAM on every client listener, a throwaway CA in the data dir, SCRAM users, optionally ACLs
   * (runtime/kafka/security.ts). KRaft only. @default - PLAINTEXT
   */
  readonly security?: LocalSecurityOptions;
}

interface BrokerSlot {
  readonly nodeId: number;
  readonly dir: string;
  readonly props: Properties;
  readonly propsFile: string;
  readonly logFile: string;
  readonly outFile: string;
  process?: JvmProcess;
}

export class LocalKafkaCluster {
  private zookeeper?: JvmProcess;
  private stopped = false;
  /** The admin's access when `security` is on; every client this class makes uses it. */
  private adminSecurity: ClientSecurity | undefined;
  private scramFormatArgs: string[] = [];

  private constructor(
    readonly name: string,
    readonly coordination: Coordination,
    readonly dataDir: string,
    /** Same-layer clients: `host:port,...` of the INTERNAL listeners. */
    readonly bootstrapServers: string,
    /** Clients on another layer: through the WAN link when there is one. */
    readonly wanBootstrapServers: string,
    /** The emulated WAN in front of this cluster, if `wan` was given. */
    readonly wanLink: WanLink | undefined,
    private readonly slots: BrokerSlot[],
    private readonly dist: KafkaDistribution,
    private readonly options: ClusterOptions,
    private readonly zkSpec?: { port: number; propsFile: string; logFile: string; outFile: string },
  ) {}

  get brokerCount(): number {
    return this.slots.length;
  }

  /** The node ids (broker.id / node.id), index i ↔ broker i. */
  get nodeIds(): number[] {
    return this.slots.map((s) => s.nodeId);
  }

  /** Kafka's own log of broker i, for error messages and debugging. */
  brokerLogFile(i: number): string {
    return this.slot(i).logFile;
  }

  /** Pid of broker i's JVM while it runs. */
  brokerPid(i: number): number | undefined {
    const p = this.slot(i).process;
    return p?.running ? p.pid : undefined;
  }

  /** JVM pids of everything this cluster runs (brokers, ZooKeeper). */
  pids(): number[] {
    const ps = this.slots.map((s) => s.process).filter((p): p is JvmProcess => !!p?.running);
    if (this.zookeeper?.running) ps.push(this.zookeeper);
    return ps.map((p) => p.pid);
  }

  /** CA and admin credentials when the cluster was started with `security` (else undefined: PLAINTEXT). */
  get security(): ClientSecurity | undefined {
    return this.adminSecurity;
  }

  /**
   * A kafkajs client for same-layer use (`wan: true` goes through the WAN listeners). On a secured cluster it
   * logs in as the admin unless `security` names another user.
   */
  client(clientId: string, opts: { wan?: boolean; security?: ClientSecurity } = {}): Kafka {
    return new Kafka(clientConfig(clientId, opts.wan ? this.wanBootstrapServers : this.bootstrapServers, opts.security ?? this.adminSecurity));
  }

  async withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.client(`${this.name}-admin`).admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Creates the topics that are missing and returns once every broker knows every partition's leader,
   * so no client (whichever broker it asks) sees UNKNOWN_TOPIC_OR_PARTITION afterwards.
   */
  async createTopics(specs: readonly TopicSpec[]): Promise<void> {
    const n = this.slots.length;
    await this.withAdmin((admin) => createTopics(admin, specs, n));
    if (n === 1) return;
    // A client bootstrapped from a single address sends its metadata requests to that broker.
    await Promise.all(
      this.bootstrapServers.split(',').map(async (address) => {
        const admin = new Kafka(clientConfig(`${this.name}-topics`, [address], this.adminSecurity)).admin();
        await admin.connect();
        try {
          await waitForTopicLeaders(admin, specs, n);
        } finally {
          await admin.disconnect();
        }
      }),
    );
  }

  static async start(options: ClusterOptions): Promise<LocalKafkaCluster> {
    const n = options.brokers ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > 3) throw new Error(`brokers (${n}) must be 1, 2 or 3`);
    if (!/^[a-z][a-z0-9-]*$/.test(options.name)) throw new Error(`name "${options.name}" must match [a-z][a-z0-9-]*`);
    const coordination = options.coordination ?? 'kraft';
    if (options.security) {
      if (coordination !== 'kraft') throw new Error(`security: needs coordination 'kraft' (got '${coordination}')`);
      checkUsers(options.security.users ?? {});
    }
    const dist = kafkaDistribution({ fetch: options.fetch });
    const dataDir =
      options.dataDir ?? path.join(REPO_ROOT, '.kafka', `${options.name}-${randomBytes(3).toString('hex')}`);
    mkdirSync(dataDir, { recursive: true });

    // internal, wan and (kraft) controller port per broker, plus ZooKeeper's.
    const perBroker = coordination === 'kraft' ? 3 : 2;
    const ports = await freePorts(n * perBroker + (coordination === 'zookeeper' ? 1 : 0));
    const internal = (i: number) => ports[i * perBroker];
    const wanDirect = (i: number) => ports[i * perBroker + 1];
    const controller = (i: number) => ports[i * perBroker + 2];
    const zkPort = coordination === 'zookeeper' ? ports[n * perBroker] : undefined;

    let wanLink: WanLink | undefined;
    if (options.wan) {
      wanLink = await WanLink.start(
        Array.from({ length: n }, (_, i) => ({ listenPort: 0, targetHost: HOST, targetPort: wanDirect(i) })),
        options.wan,
      );
    }
    const wanAdvertised = (i: number) => (wanLink ? wanLink.ports[i] : wanDirect(i));
    const voters = Array.from({ length: n }, (_, i) => `${i + 1}@${HOST}:${controller(i)}`);

    let secured: { client: ClientSecurity; listener: Record<string, string>; broker: Record<string, string>; users: Record<string, string> } | undefined;
    if (options.security) {
      const pki = createLocalPki(path.join(dataDir, 'security'));
      const adminPassword = randomPassword();
      secured = {
        client: { caPem: pki.caPem, caFile: pki.caFile, username: ADMIN_USER, password: adminPassword },
        listener: saslSslListenerSecurity(pki, adminPassword),
        broker: brokerSecurityProperties(pki.caFile, options.security.authorizer ?? false),
        users: { [ADMIN_USER]: adminPassword, ...options.security.users },
      };
    }
    const protocol = secured ? ('SASL_SSL' as const) : undefined;

    const slots: BrokerSlot[] = [];
    for (let i = 0; i < n; i++) {
      const nodeId = i + 1;
      const dir = path.join(dataDir, `broker-${nodeId}`);
      mkdirSync(dir, { recursive: true });
      const listeners: ListenerSpec[] = [
        { name: LISTENER.internal, bind: { host: HOST, port: internal(i) }, protocol, security: secured?.listener },
        { name: LISTENER.wan, bind: { host: HOST, port: wanDirect(i) }, advertised: { host: HOST, port: wanAdvertised(i) }, protocol, security: secured?.listener },
      ];
      const props = brokerProperties({
        nodeId,
        coordination,
        clusterSize: n,
        listeners,
        controllerListener:
          coordination === 'kraft' ? { name: LISTENER.controller, bind: { host: HOST, port: controller(i) } } : undefined,
        controllerQuorumVoters: coordination === 'kraft' ? voters : undefined,
        zookeeperConnect: zkPort ? `${HOST}:${zkPort}` : undefined,
        logDirs: path.join(dir, 'data'),
        defaultReplicationFactor: options.defaultReplicationFactor,
        minInsyncReplicas: options.minInsyncReplicas,
        tuning: options.tuning,
        overrides: secured ? { ...secured.broker, ...options.overrides } : options.overrides,
      });
      const propsFile = path.join(dir, 'server.properties');
      writeFileSync(propsFile, renderProperties(props, `${options.name} broker ${nodeId} (generated)`));
      slots.push({ nodeId, dir, props, propsFile, logFile: path.join(dir, 'server.log'), outFile: path.join(dir, 'stdout.log') });
    }

    let zkSpec: { port: number; propsFile: string; logFile: string; outFile: string } | undefined;
    if (zkPort) {
      const zkDir = path.join(dataDir, 'zookeeper');
      mkdirSync(path.join(zkDir, 'data'), { recursive: true });
      const propsFile = path.join(zkDir, 'zoo.cfg');
      writeFileSync(propsFile, renderProperties(zookeeperProperties({ dataDir: path.join(zkDir, 'data'), clientPort: zkPort })));
      zkSpec = { port: zkPort, propsFile, logFile: path.join(zkDir, 'zookeeper.log'), outFile: path.join(zkDir, 'stdout.log') };
    }

    const bootstrap = slots.map((_, i) => `${HOST}:${internal(i)}`).join(',');
    const wanBootstrap = slots.map((_, i) => `${HOST}:${wanAdvertised(i)}`).join(',');
    const cluster = new LocalKafkaCluster(options.name, coordination, dataDir, bootstrap, wanBootstrap, wanLink, slots, dist, options, zkSpec);
    cluster.adminSecurity = secured?.client;
    cluster.scramFormatArgs = secured ? formatScramArgs(secured.users) : [];
    try {
      await cluster.boot();
    } catch (e) {
      await cluster.stop({ keepDataDir: true });
      throw e;
    }
    return cluster;
  }

  private async boot(): Promise<void> {
    const timeout = this.options.readyTimeoutMs ?? 90_000;
    if (this.zkSpec) {
      const zk = this.zkSpec;
      this.zookeeper = JvmProcess.start(this.dist, {
        name: `${this.name}-zookeeper`,
        mainClass: 'org.apache.zookeeper.server.quorum.QuorumPeerMain',
        args: [zk.propsFile],
        logFile: zk.logFile,
        outFile: zk.outFile,
        log4jFile: path.join(path.dirname(zk.propsFile), 'log4j.properties'),
        heapMb: 128,
      });
      await Promise.race([
        waitForPort(zk.port, timeout),
        this.zookeeper.exited.then((c) => {
          throw new Error(`${this.name}: ZooKeeper exited (${c}) during start; see ${zk.outFile} and ${zk.logFile}`);
        }),
      ]);
    } else {
      const clusterId = kraftClusterId(randomBytes(16).toString('hex'));
      for (const s of this.slots) this.formatStorage(s, clusterId);
    }
    for (const s of this.slots) this.launch(s);
    await this.waitForBrokers(this.slots.map((s) => s.nodeId), timeout);
  }

  /** KRaft needs each log dir formatted with the cluster id before the first start. */
  private formatStorage(s: BrokerSlot, clusterId: string): void {
    writeFileSync(path.join(s.dir, 'log4j.properties'), 'log4j.rootLogger=WARN\n');
    const r = spawnSync(
      this.dist.java,
      ['-Xmx128m', '-XX:+UseSerialGC', `-Dlog4j.configuration=file:${path.join(s.dir, 'log4j.properties')}`,
        '-cp', this.dist.classpath, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, `--config=${s.propsFile}`, '--ignore-formatted', ...this.scramFormatArgs],
      { encoding: 'utf8' },
    );
    appendFileSync(s.outFile, `${r.stdout ?? ''}${r.stderr ?? ''}`);
    if (r.status !== 0) {
      throw new Error(`${this.name}: formatting KRaft storage of node ${s.nodeId} failed; see ${s.outFile}`);
    }
  }

  private launch(s: BrokerSlot): void {
    s.process = JvmProcess.start(this.dist, {
      name: `${this.name}-broker-${s.nodeId}`,
      mainClass: 'kafka.Kafka',
      args: [s.propsFile],
      logFile: s.logFile,
      outFile: s.outFile,
      log4jFile: path.join(s.dir, 'log4j.properties'),
      heapMb: this.options.heapMb,
    });
  }

  /**
   * Ready = the metadata of every running broker (asked one by one through its INTERNAL listener)
   * lists all of `nodeIds`, so no client sees a partial cluster whichever broker it asks first.
   */
  private async waitForBrokers(nodeIds: number[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const addresses = this.bootstrapServers.split(',');
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      for (const s of this.slots) {
        if (nodeIds.includes(s.nodeId) && s.process && !s.process.running) {
          throw new Error(`${this.name}: broker ${s.nodeId} exited during start; see ${s.logFile} and ${s.outFile}\n${tail(s.outFile)}`);
        }
      }
      const running = this.slots.map((s, i) => (s.process?.running ? addresses[i] : undefined)).filter((a): a is string => !!a);
      const views = await Promise.all(running.map((address) => this.brokersSeenBy(address)));
      const missing = views.filter((v) => typeof v === 'string' || !nodeIds.every((id) => v.has(id)));
      if (missing.length === 0) return;
      last = views.map((v, i) => `${running[i]}: ${typeof v === 'string' ? v : `[${[...v].join(',')}]`}`).join('; ');
      await new Promise((r) => setTimeout(r, 300));
    }
    const logs = this.slots.filter((s) => nodeIds.includes(s.nodeId)).map((s) => s.logFile).join(', ');
    throw new Error(`${this.name}: brokers [${nodeIds.join(',')}] not all in metadata after ${timeoutMs} ms (${last}); see ${logs}`);
  }

  /** Node ids in the metadata of the broker at `address`, or the error message. */
  private async brokersSeenBy(address: string): Promise<Set<number> | string> {
    // A client bootstrapped from a single address sends its metadata request to that broker.
    const admin = new Kafka({ ...clientConfig(`${this.name}-readiness`, [address], this.adminSecurity), retry: { retries: 0 } }).admin();
    try {
      await admin.connect();
      const { brokers } = await admin.describeCluster();
      return new Set(brokers.map((b) => b.nodeId));
    } catch (e) {
      return (e as Error).message;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private slot(i: number): BrokerSlot {
    const s = this.slots[i];
    if (!s) throw new Error(`broker index ${i} out of range 0..${this.slots.length - 1}`);
    return s;
  }

  /** SIGKILLs broker i (0-based), as a crash would. Resolves once the JVM is gone. */
  async killBroker(i: number): Promise<void> {
    await this.slot(i).process?.kill();
  }

  /** Starts broker i again with the same id, ports and data; resolves once it is back in metadata. */
  async restartBroker(i: number, timeoutMs = this.options.readyTimeoutMs ?? 90_000): Promise<void> {
    const s = this.slot(i);
    if (s.process?.running) await s.process.stop();
    this.launch(s);
    await this.waitForBrokers([s.nodeId], timeoutMs);
  }

  /** Stops brokers (clean shutdown, SIGKILL after a grace period), then ZooKeeper and the WAN link. */
  async stop(opts: { keepDataDir?: boolean; graceMs?: number } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const grace = opts.graceMs ?? 10_000;
    await Promise.all(this.slots.map((s) => s.process?.stop(grace)));
    await this.zookeeper?.stop(grace);
    await this.wanLink?.close();
    if (!(opts.keepDataDir ?? this.options.keepDataDir) && existsSync(this.dataDir)) {
      rmSync(this.dataDir, { recursive: true, force: true });
    }
  }
}

/**
 * @deprecated Old name of LocalKafkaCluster, kept for existing imports: `KafkaCluster` is the Kubernetes construct
 * (constructs/), this is a handle on local broker processes.
 */
export { LocalKafkaCluster as KafkaCluster };

/** Starts a cluster; see ClusterOptions. */
export function startCluster(options: ClusterOptions): Promise<LocalKafkaCluster> {
  return LocalKafkaCluster.start(options);
}


function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
