/**
 * The worker's deployment contract: the env vars a deployer (the constructs, a user's own chart) sets on a worker
 * container, and its HTTP surface. runtime/worker/config.ts parses them; test/contracts/worker-env.test.ts checks
 * that it reads every variable named here under the same field, so a rename on either side fails a test instead of
 * a pod. The worker may read more variables than these (tuning that deployers leave at its defaults).
 */
export const WORKER_ENV = {
  model: 'DDNN_MODEL',
  brokers: 'DDNN_BROKERS',
  inputTopic: 'DDNN_INPUT_TOPIC',
  groupId: 'DDNN_GROUP_ID',
  nextTopic: 'DDNN_NEXT_TOPIC',
  nextBrokers: 'DDNN_NEXT_BROKERS',
  relayTopic: 'DDNN_RELAY_TOPIC',
  relayBrokers: 'DDNN_RELAY_BROKERS',
  answerTopic: 'DDNN_ANSWER_TOPIC',
  answerBrokers: 'DDNN_ANSWER_BROKERS',
  replyTopicPattern: 'DDNN_REPLY_TOPIC_PATTERN',
  dlqTopic: 'DDNN_DLQ_TOPIC',
  threshold: 'DDNN_THRESHOLD',
  controlTopic: 'DDNN_CONTROL_TOPIC',
  exitCriterion: 'DDNN_EXIT_CRITERION',
  batchMaxSize: 'DDNN_BATCH_MAX_SIZE',
  batchMaxWaitMs: 'DDNN_BATCH_MAX_WAIT_MS',
  partitionsConcurrency: 'DDNN_PARTITIONS_CONCURRENCY',
  featuresDtype: 'DDNN_FEATURES_DTYPE',
  backend: 'DDNN_BACKEND',
  httpPort: 'DDNN_HTTP_PORT',
  clientId: 'DDNN_CLIENT_ID',
  kafkaSaslMechanism: 'DDNN_KAFKA_SASL_MECHANISM',
  kafkaSaslUsername: 'DDNN_KAFKA_SASL_USERNAME',
  kafkaSaslPassword: 'DDNN_KAFKA_SASL_PASSWORD',
  kafkaTlsCaFile: 'DDNN_KAFKA_TLS_CA_FILE',
  kafkaSecurityScope: 'DDNN_KAFKA_SECURITY_SCOPE',
  logLevel: 'DDNN_LOG_LEVEL',
} as const;

export type WorkerEnvField = keyof typeof WORKER_ENV;

/**
 * Defaults a deployer may rely on. `batchMaxWaitMs` 0: a lone request runs at once and a backlog still forms full
 * batches; 5 ms tripled p50 per hop in the worker benchmark, so the constructs and environments use 0 too.
 */
export const WORKER_DEFAULTS = { threshold: 0.8, batchMaxSize: 16, batchMaxWaitMs: 0, httpPort: 8080 } as const;

/** The worker's HTTP surface: liveness, readiness and Prometheus metrics on one port. */
export const WORKER_HTTP = { port: WORKER_DEFAULTS.httpPort, liveness: '/healthz', readiness: '/readyz', metrics: '/metrics' } as const;
