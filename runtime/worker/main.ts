/**
 * Worker CLI: `npx tsx runtime/worker/main.ts [flags]`. Every flag has a DDNN_* env var (flags win), so the
 * same image runs on every layer. SIGTERM/SIGINT: graceful stop, exit 0. A fatal consumer crash: exit 1.
 */
import { Command, Option } from 'commander';
import pino from 'pino';
import { ConfigError, parseWorkerConfig, WORKER_ENV, workerConfigFromEnv } from './config';
import { startWorker } from './worker';

const FLAGS: Record<keyof typeof WORKER_ENV, string> = {
  model: 'sub-model folder: path or http(s) URL',
  brokers: 'input cluster bootstrap servers (host:port,...)',
  inputTopic: 'input topic',
  groupId: 'consumer group (default ddnn-worker.<input-topic>)',
  nextTopic: "next layer's input topic",
  nextBrokers: "next layer's cluster (default: --brokers)",
  relayTopic: 'input topic of a whole-model worker: raw requests go there unprocessed while the control topic says relay (cloud-only placement)',
  relayBrokers: "relay topic's cluster (default: --next-brokers)",
  answerTopic: "one topic for all answers (default: each request's reply topic)",
  answerBrokers: 'cluster answers are written to (default: --brokers)',
  replyTopicPattern: 'regular expression reply topics must match (default: a `replies.` segment before the name)',
  dlqTopic: 'dead-letter topic (default <input-topic>.dlq)',
  threshold: 'exit threshold in [0, 1] (default 0.8)',
  controlTopic: "compacted control topic on the input cluster (run-time settings, model versions); 'off' to ignore (default ddnn.control)",
  exitCriterion: 'max-prob | entropy (default max-prob)',
  batchMaxSize: 'micro-batch size limit (default 16)',
  batchMaxWaitMs: 'ms a partial batch may wait for more while the model is free (default 0: adaptive)',
  partitionsConcurrency: 'partitions consumed concurrently (default 8)',
  featuresDtype: 'float32 | float16 | int8 for forwarded features (default float16)',
  maxInFlightRecords: 'records in flight per input partition before fetching waits (default 512)',
  maxInFlightBytes: 'their bytes per input partition (default 32 MiB)',
  produceMaxInFlight: 'produce requests outstanding per destination cluster (default 5)',
  maxHeaders: 'headers a record may carry; more → dead letter (default 64)',
  maxHeaderBytes: 'header bytes a record may carry; more → dead letter (default 65536)',
  dlqMaxBytes: 'bytes of the original record a dead letter keeps (default 1 MiB)',
  commitIntervalMs: 'how often finished offsets are committed (default 1000)',
  stallTimeoutMs: '/healthz fails after a partition with records in flight made no progress this long (default 120000)',
  backend: 'auto | tensorflow | wasm | cpu (default auto)',
  httpPort: 'health/metrics port; 0 = any, -1 = off (default 8080)',
  clientId: 'Kafka client id',
  kafkaSaslMechanism: 'plain | scram-sha-256 | scram-sha-512, for the remote (next/answer) cluster',
  kafkaSaslUsername: 'SASL user for the remote cluster',
  kafkaSaslPassword: 'SASL password for the remote cluster (prefer the env var)',
  kafkaTlsCaFile: "remote cluster's CA (PEM file); enables TLS to it",
  kafkaSecurityScope: 'remote (default): DDNN_KAFKA_* apply to the other clusters only; all: to the input cluster too',
  logLevel: 'pino level (default info)',
};

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

async function main(): Promise<void> {
  const program = new Command('ddnn-worker').description('DDNN early-exit worker for one continuum layer').allowExcessArguments(false);
  for (const [field, help] of Object.entries(FLAGS)) {
    program.addOption(new Option(`--${kebab(field)} <value>`, `${help} [${WORKER_ENV[field as keyof typeof WORKER_ENV]}]`));
  }
  program.parse();
  const flags = Object.fromEntries(Object.entries(program.opts()).filter(([, v]) => v !== undefined));

  let config;
  try {
    config = parseWorkerConfig({ ...workerConfigFromEnv(process.env), ...flags });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const logger = pino({ level: config.logLevel, base: { service: 'ddnn-worker' } });
  const worker = await startWorker(config, { logger });

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ event: 'signal', signal }, `${signal}: graceful stop`);
    worker.stop().then(
      () => process.exit(0),
      (e) => {
        logger.error({ event: 'stop-failed', err: e });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // A stop we did not ask for is a fatal consumer crash: exit non-zero so the orchestrator restarts us.
  void worker.done.then(() => {
    if (!signalled) process.exit(1);
  });
}

main().catch((e) => {
  process.stderr.write(`ddnn-worker: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
