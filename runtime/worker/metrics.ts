/**
 * Prometheus metrics of one worker, in its own registry (several workers may share a process in tests and in
 * the main job). Every series carries the worker's `layer` label: ddnn_requests_total{layer="edge"}.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createWorkerMetrics(layer: string, opts: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  registry.setDefaultLabels({ layer });
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({ name: 'ddnn_requests_total', help: 'records consumed from the input topic', registers }),
    answers: new Counter({ name: 'ddnn_answers_total', help: 'requests answered at this layer\'s exit', registers }),
    forwards: new Counter({ name: 'ddnn_forwards_total', help: 'requests forwarded to the next layer', registers }),
    relays: new Counter({ name: 'ddnn_relays_total', help: 'raw requests relayed unprocessed to the whole model (cloud-only placement)', registers }),
    deadLetters: new Counter({ name: 'ddnn_dead_letters_total', help: 'records sent to the dead-letter topic', labelNames: ['reason'], registers }),
    errors: new Counter({ name: 'ddnn_errors_total', help: 'failed batches by stage (records are redelivered)', labelNames: ['stage'], registers }),
    batchSize: new Histogram({ name: 'ddnn_batch_size', help: 'samples per predict', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers }),
    predictSeconds: new Histogram({ name: 'ddnn_predict_seconds', help: 'predict time per micro-batch', buckets: LATENCY_BUCKETS, registers }),
    hopSeconds: new Histogram({
      name: 'ddnn_hop_latency_seconds',
      help: 'from taking a record to its answer/forward being acknowledged',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    exitLatencySeconds: new Histogram({
      name: 'ddnn_exit_latency_seconds',
      help: "from the device's created-at to this layer's answer being acknowledged",
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    consumerRestarts: new Counter({
      name: 'ddnn_consumer_restarts_total',
      help: 'input consumer restarted by the worker after a transient crash kafkajs would not restart from',
      registers,
    }),
    lag: new Gauge({ name: 'ddnn_consumer_lag', help: 'records behind the high watermark, per input partition', labelNames: ['topic', 'partition'], registers }),
    controlApplied: new Counter({ name: 'ddnn_control_applied_total', help: 'control-topic records applied', labelNames: ['kind'], registers }),
    controlRejected: new Counter({
      name: 'ddnn_control_rejected_total',
      help: 'control-topic records ignored (the layer keeps its last good state)',
      labelNames: ['reason'],
      registers,
    }),
    threshold: new Gauge({ name: 'ddnn_exit_threshold', help: 'exit threshold in force', registers }),
    batchWaitSeconds: new Gauge({ name: 'ddnn_batch_max_wait_seconds', help: 'micro-batch wait in force', registers }),
    relay: new Gauge({ name: 'ddnn_relay', help: '1 while raw requests are relayed to the whole model (cloud-only placement)', registers }),
    featuresEncoding: new Gauge({ name: 'ddnn_features_encoding', help: '1 for the feature encoding in force', labelNames: ['dtype'], registers }),
    inFlight: new Gauge({ name: 'ddnn_in_flight_requests', help: 'requests taken but not yet acknowledged downstream', registers }),
    wanBytes: new Counter({
      name: 'ddnn_wan_bytes_total',
      help: "record bytes acknowledged by another layer's cluster (destination: next = features forwarded, answer = answers sent back)",
      labelNames: ['destination'],
      registers,
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
