/**
 * The single source of Kafka broker and ZooKeeper properties (MirrorMaker 2's are in mirror-maker-settings.ts).
 *
 * Pure functions only (no fs, no process, no env): the local launcher (runtime/kafka) writes their output to
 * `server.properties` files, and the cdk8s constructs render the very same maps into Kubernetes
 * manifests, so a setting changed here changes both places.
 */

export type Coordination = 'zookeeper' | 'kraft';
export type KraftRole = 'broker' | 'controller';

/** Kafka's listener security protocols. The local launcher uses PLAINTEXT, or SASL_SSL with `security` (security.ts). */
export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * One named broker listener: where it binds and what it tells clients to connect to.
 * `advertised` differs from `bind` when clients reach the broker through something in between
 * (a WAN-link proxy locally, a Service or LoadBalancer on Kubernetes).
 */
export interface ListenerSpec {
  readonly name: string;
  readonly bind: HostPort;
  /** @default bind */
  readonly advertised?: HostPort;
  /** @default 'PLAINTEXT' */
  readonly protocol?: SecurityProtocol;
  /**
   * Extra per-listener security settings (keystores, SASL mechanisms...), written as
   * `listener.name.<name lowercased>.<key>`. The seam for TLS and SASL/SCRAM listeners.
   */
  readonly security?: Readonly<Record<string, string>>;
}

/** Listener names used across the project: same-layer clients, cross-layer (WAN) clients, KRaft quorum. */
export const LISTENER = { internal: 'INTERNAL', wan: 'WAN', controller: 'CONTROLLER' } as const;

/**
 * Tuning knobs with defaults for a small, latency-sensitive deployment (a few brokers, small messages
 * arriving one at a time, fast failure detection). Every value is a Kafka property, named as in Kafka.
 */
export interface BrokerTuning {
  /** @default 2 */ readonly numNetworkThreads: number;
  /** @default 2 */ readonly numIoThreads: number;
  /** Consumer groups start at once instead of waiting 3 s for more members. @default 0 */
  readonly groupInitialRebalanceDelayMs: number;
  /** Feature maps between layers exceed Kafka's 1 MiB default. @default 8388608 (8 MiB) */
  readonly messageMaxBytes: number;
  /** KRaft: how soon a dead broker is fenced and its partitions re-led. @default 6000 */
  readonly brokerSessionTimeoutMs: number;
  /** KRaft: @default 1000 */
  readonly brokerHeartbeatIntervalMs: number;
  /** ZooKeeper mode: how soon a dead broker's session expires. @default 6000 */
  readonly zookeeperSessionTimeoutMs: number;
  /** Followers dropped from the ISR after this long without catching up. @default 10000 */
  readonly replicaLagTimeMaxMs: number;
  /** Topics must be created on purpose, with their partitions and replication. @default false */
  readonly autoCreateTopics: boolean;
}

export const DEFAULT_BROKER_TUNING: BrokerTuning = {
  numNetworkThreads: 2,
  numIoThreads: 2,
  groupInitialRebalanceDelayMs: 0,
  messageMaxBytes: 8 * 1024 * 1024,
  brokerSessionTimeoutMs: 6000,
  brokerHeartbeatIntervalMs: 1000,
  zookeeperSessionTimeoutMs: 6000,
  replicaLagTimeMaxMs: 10000,
  autoCreateTopics: false,
};

export interface BrokerSettingsInput {
  /** broker.id (ZooKeeper) or node.id (KRaft). */
  readonly nodeId: number;
  readonly coordination: Coordination;
  /** Brokers in the cluster: caps the replication defaults of internal topics. */
  readonly clusterSize: number;
  /** Listeners clients and peers use; the first one is the inter-broker listener. */
  readonly listeners: readonly ListenerSpec[];
  /** KRaft only: this node's controller listener (omit on broker-only nodes). */
  readonly controllerListener?: ListenerSpec;
  /** KRaft only: @default ['broker', 'controller'] (combined mode) */
  readonly roles?: readonly KraftRole[];
  /** KRaft only: `id@host:port` of every controller. */
  readonly controllerQuorumVoters?: readonly string[];
  /** ZooKeeper only: `host:port[/chroot]`. */
  readonly zookeeperConnect?: string;
  readonly logDirs: string;
  /** @default min(3, clusterSize) */
  readonly defaultReplicationFactor?: number;
  /** @default max(1, defaultReplicationFactor - 1) */
  readonly minInsyncReplicas?: number;
  readonly tuning?: Partial<BrokerTuning>;
  /** Last word on any property. */
  readonly overrides?: Readonly<Record<string, string>>;
}

export type Properties = Record<string, string>;

const endpoint = (p: HostPort): string => `${p.host}:${p.port}`;

/**
 * Listener and security properties for a set of listeners. Kept in one function so TLS and
 * SASL/SCRAM (truststores, `sasl.enabled.mechanisms`, JAAS config) are added here and nowhere else.
 */
export function listenerProperties(
  listeners: readonly ListenerSpec[],
  controller?: ListenerSpec,
): Properties {
  if (listeners.length === 0) throw new Error('listeners: at least one listener is required');
  const all = controller ? [...listeners, controller] : [...listeners];
  const names = new Set<string>();
  for (const l of all) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(l.name)) {
      throw new Error(`listeners: name "${l.name}" must be upper-case letters, digits and _`);
    }
    if (names.has(l.name)) throw new Error(`listeners: name "${l.name}" is used twice`);
    names.add(l.name);
  }
  const props: Properties = {
    listeners: all.map((l) => `${l.name}://${endpoint(l.bind)}`).join(','),
    // The controller listener is never advertised to clients.
    'advertised.listeners': listeners.map((l) => `${l.name}://${endpoint(l.advertised ?? l.bind)}`).join(','),
    'listener.security.protocol.map': all.map((l) => `${l.name}:${l.protocol ?? 'PLAINTEXT'}`).join(','),
    'inter.broker.listener.name': listeners[0].name,
  };
  if (controller) props['controller.listener.names'] = controller.name;
  for (const l of all) {
    for (const [k, v] of Object.entries(l.security ?? {})) {
      props[`listener.name.${l.name.toLowerCase()}.${k}`] = v;
    }
  }
  return props;
}

/** All properties of one broker (or KRaft node) as Kafka reads them from server.properties. */
export function brokerProperties(input: BrokerSettingsInput): Properties {
  const t: BrokerTuning = { ...DEFAULT_BROKER_TUNING, ...input.tuning };
  const n = input.clusterSize;
  if (!Number.isInteger(n) || n < 1) throw new Error(`clusterSize (${n}) must be an integer ≥ 1`);
  const rf = input.defaultReplicationFactor ?? Math.min(3, n);
  if (rf < 1 || rf > n) throw new Error(`defaultReplicationFactor (${rf}) must be between 1 and clusterSize (${n})`);
  const minIsr = input.minInsyncReplicas ?? Math.max(1, rf - 1);
  if (minIsr < 1 || minIsr > rf) {
    throw new Error(`minInsyncReplicas (${minIsr}) must be between 1 and defaultReplicationFactor (${rf})`);
  }
  const internalRf = Math.min(3, n);

  const props: Properties = {
    'log.dirs': input.logDirs,
    'num.network.threads': String(t.numNetworkThreads),
    'num.io.threads': String(t.numIoThreads),
    'num.partitions': '1',
    'default.replication.factor': String(rf),
    'min.insync.replicas': String(minIsr),
    'offsets.topic.replication.factor': String(internalRf),
    'offsets.topic.num.partitions': '10',
    'transaction.state.log.replication.factor': String(internalRf),
    'transaction.state.log.min.isr': String(Math.max(1, internalRf - 1)),
    'group.initial.rebalance.delay.ms': String(t.groupInitialRebalanceDelayMs),
    'auto.create.topics.enable': String(t.autoCreateTopics),
    'message.max.bytes': String(t.messageMaxBytes),
    'replica.fetch.max.bytes': String(t.messageMaxBytes),
    'replica.lag.time.max.ms': String(t.replicaLagTimeMaxMs),
    // A surviving replica must never be elected if it may have lost acknowledged writes.
    'unclean.leader.election.enable': 'false',
  };

  if (input.coordination === 'kraft') {
    const roles = input.roles ?? ['broker', 'controller'];
    if (!input.controllerQuorumVoters?.length) throw new Error('controllerQuorumVoters: required in kraft mode');
    if (roles.includes('controller') && !input.controllerListener) {
      throw new Error('controllerListener: required on a KRaft node with the controller role');
    }
    Object.assign(props, {
      'process.roles': roles.join(','),
      'node.id': String(input.nodeId),
      'controller.quorum.voters': input.controllerQuorumVoters.join(','),
      'broker.session.timeout.ms': String(t.brokerSessionTimeoutMs),
      'broker.heartbeat.interval.ms': String(t.brokerHeartbeatIntervalMs),
    });
    const controller = input.controllerListener ?? {
      name: LISTENER.controller,
      bind: { host: '0.0.0.0', port: 0 },
    };
    const lp = listenerProperties(input.listeners, roles.includes('controller') ? controller : undefined);
    // Broker-only nodes still need to know the controller listener's name and protocol.
    if (!roles.includes('controller')) {
      lp['controller.listener.names'] = controller.name;
      lp['listener.security.protocol.map'] += `,${controller.name}:${controller.protocol ?? 'PLAINTEXT'}`;
    }
    Object.assign(props, lp);
  } else {
    if (!input.zookeeperConnect) throw new Error('zookeeperConnect: required in zookeeper mode');
    Object.assign(props, {
      'broker.id': String(input.nodeId),
      'zookeeper.connect': input.zookeeperConnect,
      'zookeeper.session.timeout.ms': String(t.zookeeperSessionTimeoutMs),
      'zookeeper.connection.timeout.ms': '10000',
    });
    Object.assign(props, listenerProperties(input.listeners));
  }
  return { ...props, ...input.overrides };
}

export interface ZookeeperSettingsInput {
  readonly dataDir: string;
  readonly clientPort: number;
  /** @default '127.0.0.1' */
  readonly clientPortAddress?: string;
  /** ZooKeeper's time unit; sessions may be 2–20 ticks. @default 500 */
  readonly tickTimeMs?: number;
}

/** A standalone ZooKeeper server (zoo.cfg). */
export function zookeeperProperties(input: ZookeeperSettingsInput): Properties {
  return {
    dataDir: input.dataDir,
    clientPort: String(input.clientPort),
    clientPortAddress: input.clientPortAddress ?? '127.0.0.1',
    tickTime: String(input.tickTimeMs ?? 500),
    maxClientCnxns: '0',
    'admin.enableServer': 'false',
    '4lw.commands.whitelist': 'ruok,srvr,stat',
  };
}

/** Serializes properties in the `key=value` format of Java's .properties files. */
export function renderProperties(props: Readonly<Properties>, header?: string): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  const lines = Object.keys(props)
    .sort()
    .map((k) => `${esc(k).replace(/([=:\s])/g, '\\$1')}=${esc(props[k])}`);
  return `${header ? `# ${header}\n` : ''}${lines.join('\n')}\n`;
}

/** A log4j 1.x (reload4j) configuration that writes everything to one file. */
export function log4jProperties(logFile: string, level: 'INFO' | 'WARN' = 'INFO'): Properties {
  return {
    'log4j.rootLogger': `${level}, file`,
    'log4j.appender.file': 'org.apache.log4j.FileAppender',
    'log4j.appender.file.File': logFile,
    'log4j.appender.file.Append': 'true',
    'log4j.appender.file.layout': 'org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern': '[%d] %p %m (%c)%n',
    // The request logger and the state-change logger are noisy at INFO.
    'log4j.logger.kafka.request.logger': 'WARN',
    'log4j.logger.state.change.logger': 'WARN',
    'log4j.logger.org.apache.zookeeper': 'WARN',
    'log4j.logger.kafka.controller': 'WARN',
    'log4j.logger.org.apache.kafka.clients': 'WARN',
  };
}
