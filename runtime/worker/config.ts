/**
 * Worker configuration: parsed and validated once at start (env vars and/or CLI flags) into a typed object.
 * Errors name the field and its env var, so a misconfigured pod fails fast with a readable message.
 */
import { hostname } from 'os';
import { z } from 'zod';
import type { SubModelManifest } from '../../contracts/manifest';
import { CONTROL_TOPIC } from '../../contracts/control';
import { WORKER_ENV as CONTRACT_WORKER_ENV } from '../../contracts/worker-env';

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
/**
 * Reply topics need a `replies` segment before the device's name (`ddnn.replies.cam-1`, `run-1.replies.device-0`):
 * a forged header cannot point answers at an arbitrary topic. Internal, input and dead-letter topics are refused
 * whatever the pattern (route.ts).
 */
export const DEFAULT_REPLY_TOPIC_PATTERN = '^(?:[A-Za-z0-9_-]+\\.)*replies\\.[A-Za-z0-9._-]+$';
const Topic = z.string().regex(TOPIC, 'must be a Kafka topic name (letters, digits, . _ -; at most 249)');
const Brokers = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0))
  .pipe(z.array(z.string().regex(/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/, 'must be host:port')).min(1, 'needs at least one host:port'));

export const WorkerConfigSchema = z
  .object({
    model: z
      .string()
      .min(1)
      .describe('sub-model folder (manifest.json + model.json): a file path, an http(s) URL, or registry:<version>/<layer> (the model registry on the input cluster)'),
    brokers: Brokers.describe('bootstrap servers of the cluster holding the input topic'),
    inputTopic: Topic,
    groupId: z.string().min(1).optional().describe('consumer group; default ddnn-worker.<inputTopic>'),
    nextTopic: Topic.optional().describe("next layer's input topic; required when the sub-model forwards features"),
    nextBrokers: Brokers.optional().describe('cluster of the next topic; default: brokers'),
    relayTopic: Topic.optional().describe(
      "input topic of a worker with the whole model: raw requests go there unprocessed while the control topic says relay (the cloud-only placement, live)",
    ),
    relayBrokers: Brokers.optional().describe('cluster of the relay topic; default: nextBrokers'),
    answerTopic: Topic.optional().describe("one topic for all answers; default: each request's reply-topic header"),
    answerBrokers: Brokers.optional().describe('cluster answers are written to; default: brokers'),
    replyTopicPattern: z
      .string()
      .default(DEFAULT_REPLY_TOPIC_PATTERN)
      .refine((s) => isRegExp(s), 'must be a valid regular expression')
      .describe('reply topics a request may name; others go to the dead-letter topic'),
    dlqTopic: Topic.optional().describe('dead-letter topic; default <inputTopic>.dlq'),
    threshold: z.coerce.number().min(0).max(1).default(0.8),
    controlTopic: z
      .union([z.literal('off'), Topic])
      .default(CONTROL_TOPIC)
      .describe("compacted topic on the input cluster with run-time settings and model versions (contracts/control.ts); 'off' to ignore"),
    exitCriterion: z.enum(['max-prob', 'entropy']).default('max-prob'),
    batchMaxSize: z.coerce.number().int().min(1).max(4096).default(16),
    batchMaxWaitMs: z.coerce.number().min(0).max(60_000).default(0).describe('how long a partial batch may wait for more while the model is free'),
    partitionsConcurrency: z.coerce.number().int().min(1).max(256).default(8),
    featuresDtype: z.enum(['float32', 'float16', 'int8']).default('float16').describe('encoding of forwarded feature maps (see README: calibrate)'),
    maxInFlightRecords: z.coerce.number().int().min(1).max(1_000_000).default(512).describe('records taken but not finished, per input partition (backpressure)'),
    maxInFlightBytes: z.coerce.number().int().min(1024).default(32 * 1024 * 1024).describe('their bytes, per input partition'),
    produceMaxInFlight: z.coerce.number().int().min(1).max(256).default(32).describe('produce requests outstanding per destination cluster'),
    maxHeaders: z.coerce.number().int().min(8).max(100_000).default(64).describe('headers a record may carry; more → dead letter'),
    maxHeaderBytes: z.coerce.number().int().min(1024).default(64 * 1024).describe('header bytes a record may carry; more → dead letter'),
    dlqMaxBytes: z.coerce.number().int().min(4096).default(1024 * 1024).describe('a dead letter keeps at most this many bytes of the record'),
    commitIntervalMs: z.coerce
      .number()
      .int()
      .min(0)
      .max(60_000)
      .default(1000)
      .describe('how often finished offsets are committed (each commit is a replicated write to __consumer_offsets; a crash replays at most this much)'),
    stallTimeoutMs: z.coerce
      .number()
      .int()
      .min(1000)
      .default(120_000)
      .describe('/healthz fails when a partition with records in flight makes no progress this long'),
    backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
    httpPort: z.coerce.number().int().min(-1).max(65535).default(8080).describe('health/metrics port; 0 = any free port, -1 = off'),
    clientId: z.string().min(1).optional(),
    kafkaSaslMechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional().describe('SASL for the remote (next/answer) cluster'),
    kafkaSaslUsername: z.string().min(1).optional(),
    kafkaSaslPassword: z.string().min(1).optional(),
    kafkaTlsCaFile: z.string().min(1).optional().describe('CA bundle (PEM) of the remote cluster; enables TLS to it'),
    kafkaSecurityScope: z
      .enum(['remote', 'all'])
      .default('remote')
      .describe("'all': the DDNN_KAFKA_* settings apply to the input cluster too (every listener secured)"),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Credentials come as a set: a half-configured remote link would fail only at the first forward.
    const sasl = [c.kafkaSaslUsername, c.kafkaSaslPassword];
    if (sasl.some((v) => v !== undefined) && sasl.some((v) => v === undefined)) {
      const missing = c.kafkaSaslUsername === undefined ? 'kafkaSaslUsername' : 'kafkaSaslPassword';
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [missing], message: 'required together with the other SASL credential' });
    }
    if (c.kafkaSaslMechanism && c.kafkaSaslUsername === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['kafkaSaslUsername'], message: 'required when kafkaSaslMechanism is set' });
    }
  })
  .transform((c) => ({
    ...c,
    groupId: c.groupId ?? `ddnn-worker.${c.inputTopic}`,
    nextBrokers: c.nextBrokers ?? c.brokers,
    relayBrokers: c.relayBrokers ?? c.nextBrokers ?? c.brokers,
    answerBrokers: c.answerBrokers ?? c.brokers,
    dlqTopic: c.dlqTopic ?? `${c.inputTopic}.dlq`,
    clientId: c.clientId ?? `ddnn-worker-${hostname()}-${process.pid}`,
  }));

export type WorkerConfigInput = z.input<typeof WorkerConfigSchema>;
export type WorkerConfig = z.output<typeof WorkerConfigSchema>;

/**
 * Env var of every field: the deployment contract's (contracts/worker-env.ts, what the constructs set) plus the
 * worker's own tuning knobs, which deployers leave at their defaults.
 */
export const WORKER_ENV: Record<keyof z.input<typeof WorkerConfigSchema>, string> = {
  ...CONTRACT_WORKER_ENV,
  maxInFlightRecords: 'DDNN_MAX_IN_FLIGHT_RECORDS',
  maxInFlightBytes: 'DDNN_MAX_IN_FLIGHT_BYTES',
  produceMaxInFlight: 'DDNN_PRODUCE_MAX_IN_FLIGHT',
  maxHeaders: 'DDNN_MAX_HEADERS',
  maxHeaderBytes: 'DDNN_MAX_HEADER_BYTES',
  dlqMaxBytes: 'DDNN_DLQ_MAX_BYTES',
  commitIntervalMs: 'DDNN_COMMIT_INTERVAL_MS',
  stallTimeoutMs: 'DDNN_STALL_TIMEOUT_MS',
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid worker configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Validates a config object (from code, the CLI or the environment). Throws ConfigError naming each bad field. */
export function parseWorkerConfig(input: Record<string, unknown>): WorkerConfig {
  const result = WorkerConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`;
      const field = String(issue.path[0] ?? '(config)');
      const env = WORKER_ENV[field as keyof typeof WORKER_ENV];
      return `${field}${env ? ` (${env})` : ''}: ${issue.message}`;
    }),
  );
}

/** Picks the DDNN_* variables out of an environment; unset and empty variables are left out (defaults apply). */
export function workerConfigFromEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, name] of Object.entries(WORKER_ENV)) {
    const v = env[name];
    if (v !== undefined && v !== '') out[field] = v;
  }
  return out;
}

/** Client security for the remote cluster (next/answer brokers other than `brokers`), or null when none is set. */
export interface RemoteSecurity {
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  /** PEM of the CA file, read at start */
  caPem?: string;
}

export function remoteSecurity(config: WorkerConfig, readFile: (path: string) => string): RemoteSecurity | null {
  if (!config.kafkaSaslUsername && !config.kafkaTlsCaFile) return null;
  let caPem: string | undefined;
  if (config.kafkaTlsCaFile) {
    try {
      caPem = readFile(config.kafkaTlsCaFile);
    } catch (e) {
      throw new ConfigError([`kafkaTlsCaFile (${WORKER_ENV.kafkaTlsCaFile}): cannot read ${config.kafkaTlsCaFile}: ${(e as Error).message}`]);
    }
  }
  const sasl = config.kafkaSaslUsername
    ? { mechanism: config.kafkaSaslMechanism ?? ('plain' as const), username: config.kafkaSaslUsername, password: config.kafkaSaslPassword! }
    : undefined;
  return { sasl, caPem };
}

/** Checks that the config wires the sub-model's outputs somewhere: fails at start, not on the first request. */
export function checkConfigAgainstManifest(config: WorkerConfig, manifest: SubModelManifest): void {
  const forwards = manifest.next !== null && manifest.outputs.some((o) => o.role === 'features');
  if (forwards && !config.nextTopic) {
    throw new ConfigError([
      `nextTopic (${WORKER_ENV.nextTopic}): required, sub-model "${manifest.layer}" forwards features to layer "${manifest.next}"`,
    ]);
  }
  if (!forwards && config.nextTopic) {
    throw new ConfigError([`nextTopic (${WORKER_ENV.nextTopic}): sub-model "${manifest.layer}" is the last layer and forwards nothing`]);
  }
  if (!manifest.outputs.some((o) => o.role === 'exit') && !forwards) {
    throw new ConfigError([`model (${WORKER_ENV.model}): sub-model "${manifest.layer}" has neither an exit nor a next layer`]);
  }
}

function isRegExp(s: string): boolean {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}
