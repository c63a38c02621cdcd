/**
 * The adaptive controller's environment variables (runtime/controller/main.ts reads them, the AdaptiveController
 * construct sets them): defined once, so the Deployment and the process cannot drift apart.
 */
export const CONTROLLER_ENV = {
  /** space-separated `<layer>=<bootstrap servers>@<metrics url>[,<metrics url>…]`, first layer (devices') to last */
  layers: 'DDNN_CONTROLLER_LAYERS',
  /** path of `npm run calibrate`'s calibration.json for the deployed model and placement */
  calibration: 'DDNN_CONTROLLER_CALIBRATION',
  /** optional: calibrate's features.json (accuracy per feature encoding) */
  features: 'DDNN_CONTROLLER_FEATURES',
  /** accuracy budget below the last exit; default: the calibration's */
  budget: 'DDNN_ACCURACY_BUDGET',
  /** the workers' configured values: where the controller starts from */
  threshold: 'DDNN_THRESHOLD',
  featuresDtype: 'DDNN_FEATURES_DTYPE',
  batchMaxWaitMs: 'DDNN_BATCH_MAX_WAIT_MS',
  windowMs: 'DDNN_CONTROLLER_WINDOW_MS',
  /** optional: comma-separated /metrics URLs of a standby whole-model worker (the first layer's relay topic): enables cloud-only */
  wholeModelMetrics: 'DDNN_CONTROLLER_WHOLE_MODEL_METRICS',
  /** bytes of one raw request on the WAN when relayed (default: a 32×32×3 uint8 frame with its headers) */
  inputBytes: 'DDNN_CONTROLLER_INPUT_BYTES',
  controlTopic: 'DDNN_CONTROL_TOPIC',
  logLevel: 'DDNN_LOG_LEVEL',
} as const;
