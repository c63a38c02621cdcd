/**
 * The adaptive controller (runtime/controller) as a Deployment of one pod, next to the first layer (the side that
 * must act when the WAN goes down). It reads the workers' /metrics, probes each layer's cluster and writes
 * `settings/<layer>` records to the control topic on each cluster; the workers apply them between batches. It
 * runs the worker image (its bundle `controller.js`), and `npm run calibrate`'s JSON, passed in by the app, is
 * its ConfigMap. One replica with the Recreate strategy: two controllers must never decide at once. A controller
 * that is down changes nothing: the compacted control topic keeps the last settings and the workers keep serving.
 */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { CONTROL_TOPIC } from '../../contracts/control';
import { CONTROLLER_ENV } from '../../contracts/controller-env';
import { IMAGE_USERS } from '../../contracts/versions';
import { kafkaLogin, type KafkaClientSecurity } from './kafka-endpoint';
import { physicalName } from './names';
import { RESTRICTED_CONTAINER, memoryBytes, resourceBlock, restrictedPodSecurity, scratch, standardLabels, type ResourceRequest } from './pod-defaults';

export interface ControlledLayerProps {
  /** continuum layer name (edge, fog, cloud) as the workers' manifests name it */
  readonly name: string;
  /** the layer's Kafka cluster as the controller's pod reaches it (another layer's: its WAN listener, PLAINTEXT) */
  readonly bootstrapServers: string;
  /**
   * /metrics URLs of the layer's workers. A host name with one address per replica (a headless Service) is
   * expanded, so every replica is scraped; a load-balanced Service URL would mix replicas' counters.
   */
  readonly metricsUrls: string[];
}

export interface AdaptiveControllerProps {
  /** the worker image (it holds the controller's bundle), pinned by tag or digest */
  readonly image: string;
  /** the layers, first (where devices send) to last (the final exit); at least two */
  readonly layers: ControlledLayerProps[];
  /** the content of `npm run calibrate`'s calibration.json for the deployed model and placement */
  readonly calibrationJson: string;
  /** accuracy budget below the last exit alone. @default - the calibration's */
  readonly accuracyBudget?: number;
  /** the workers' configured threshold and encoding (where the controller starts). @default 0.8, 'float16' */
  readonly threshold?: number;
  readonly featuresDtype?: 'float32' | 'float16' | 'int8';
  /** decision window. @default 2000 */
  readonly windowMs?: number;
  /**
   * /metrics URLs of a standby worker with the whole model, consuming the first layer's relay topic (the workers'
   * DDNN_RELAY_TOPIC): the controller may then choose cloud-only. @default - none: no cloud-only
   */
  readonly wholeModelMetricsUrls?: string[];
  /** @default 'ddnn.control' (the workers' DDNN_CONTROL_TOPIC) */
  readonly controlTopic?: string;
  /** @default { cpu: '100m', memory: '256Mi' } */
  readonly resources?: ResourceRequest;
  /**
   * Login to the other layers' clusters (their SASL_SSL WAN listeners): the worker's DDNN_KAFKA_* variables from
   * these Secrets, the CA mounted. @default - PLAINTEXT
   */
  readonly remoteSecurity?: KafkaClientSecurity;
  /** @default - derived from the construct's path */
  readonly name?: string;
}

const LAYER = /^[a-z0-9][a-z0-9-]{0,62}$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const CALIBRATION_MOUNT = '/etc/ddnn/controller';

export class AdaptiveController extends Construct {
  readonly name: string;
  /** Escape hatches: the objects as synthesized. */
  readonly deployment: k8s.KubeDeployment;
  readonly configMap: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: AdaptiveControllerProps) {
    super(scope, id);
    const where = `AdaptiveController ${this.node.path}`;
    if (!/:[^:@/]+$/.test(props.image) && !props.image.includes('@sha256:')) throw new Error(`${where}: image (${props.image}) must be pinned by tag or digest`);
    if (props.image.endsWith(':latest')) throw new Error(`${where}: image (${props.image}) must not use :latest`);
    if (props.layers.length < 2) throw new Error(`${where}: layers (${props.layers.length}) must name at least the first and the last layer`);
    const seen = new Set<string>();
    props.layers.forEach((l, i) => {
      if (!LAYER.test(l.name)) throw new Error(`${where}: layers[${i}].name (${l.name}) must match ${LAYER}`);
      if (seen.has(l.name)) throw new Error(`${where}: layers[${i}].name (${l.name}) appears twice`);
      seen.add(l.name);
      if (!/^[^\s@,]+(,[^\s@,]+)*$/.test(l.bootstrapServers)) throw new Error(`${where}: layers[${i}].bootstrapServers (${l.bootstrapServers}) must be host:port[,host:port…]`);
      if (l.metricsUrls.length === 0) throw new Error(`${where}: layers[${i}].metricsUrls must name at least one /metrics URL`);
      l.metricsUrls.forEach((u, j) => {
        if (!/^https?:\/\/[^\s,@]+$/.test(u)) throw new Error(`${where}: layers[${i}].metricsUrls[${j}] (${u}) must be an http(s) URL`);
      });
    });
    (props.wholeModelMetricsUrls ?? []).forEach((u, j) => {
      if (!/^https?:\/\/[^\s,@]+$/.test(u)) throw new Error(`${where}: wholeModelMetricsUrls[${j}] (${u}) must be an http(s) URL`);
    });
    checkCalibration(where, props.calibrationJson);
    const threshold = props.threshold ?? 0.8;
    if (!(threshold >= 0 && threshold <= 1)) throw new Error(`${where}: threshold (${threshold}) must be within 0..1`);
    if (props.accuracyBudget !== undefined && !(props.accuracyBudget >= 0 && props.accuracyBudget <= 1)) throw new Error(`${where}: accuracyBudget (${props.accuracyBudget}) must be within 0..1`);
    const windowMs = props.windowMs ?? 2000;
    if (!Number.isInteger(windowMs) || windowMs < 200 || windowMs > 60_000) throw new Error(`${where}: windowMs (${windowMs}) must be an integer within 200..60000`);
    const controlTopic = props.controlTopic ?? CONTROL_TOPIC;
    if (!TOPIC.test(controlTopic)) throw new Error(`${where}: controlTopic (${controlTopic}) is not a topic name`);
    const resources = props.resources ?? { cpu: '100m', memory: '256Mi' };
    memoryBytes(resources.memory);

    this.name = physicalName(this, props.name, where);
    const labels = standardLabels({ name: this.name, component: 'adaptive-controller', layer: props.layers[0].name });

    this.configMap = new k8s.KubeConfigMap(this, 'calibration', {
      metadata: { name: `${this.name}-calibration`, labels },
      data: { 'calibration.json': props.calibrationJson },
    });

    const env: Record<string, string | undefined> = {
      [CONTROLLER_ENV.layers]: props.layers.map((l) => `${l.name}=${l.bootstrapServers}@${l.metricsUrls.join(',')}`).join(' '),
      [CONTROLLER_ENV.calibration]: `${CALIBRATION_MOUNT}/calibration.json`,
      [CONTROLLER_ENV.budget]: props.accuracyBudget === undefined ? undefined : String(props.accuracyBudget),
      [CONTROLLER_ENV.threshold]: String(threshold),
      [CONTROLLER_ENV.featuresDtype]: props.featuresDtype ?? 'float16',
      [CONTROLLER_ENV.windowMs]: String(windowMs),
      [CONTROLLER_ENV.wholeModelMetrics]: props.wholeModelMetricsUrls?.length ? props.wholeModelMetricsUrls.join(',') : undefined,
      [CONTROLLER_ENV.controlTopic]: controlTopic,
      NODE_ENV: 'production',
    };
    const envVars: k8s.EnvVar[] = Object.entries(env).flatMap(([name, value]) => (value === undefined ? [] : [{ name, value }]));
    const tmp = scratch('tmp', '/tmp', '64Mi');
    const mounts: k8s.VolumeMount[] = [{ name: 'calibration', mountPath: CALIBRATION_MOUNT, readOnly: true }, tmp.mount];
    const volumes: k8s.Volume[] = [{ name: 'calibration', configMap: { name: this.configMap.name } }, tmp.volume];
    const sec = props.remoteSecurity;
    if (sec) {
      const login = kafkaLogin(sec);
      envVars.push(...login.env);
      mounts.push(login.mount);
      volumes.push(login.volume);
    }
    this.deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name: this.name, labels },
      spec: {
        replicas: 1,
        // never two controllers deciding at once, not even during a rollout
        strategy: { type: 'Recreate' },
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurity(IMAGE_USERS.worker),
            containers: [
              {
                name: 'controller',
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                command: ['node', '--enable-source-maps', 'controller.js'],
                env: envVars,
                resources: resourceBlock(resources),
                securityContext: { ...RESTRICTED_CONTAINER, runAsUser: IMAGE_USERS.worker },
                volumeMounts: mounts,
              },
            ],
            volumes,
          },
        },
      },
    });
  }
}

/** The fields the controller reads, so a wrong file fails at synth rather than in the pod. */
function checkCalibration(where: string, text: string): void {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${where}: calibrationJson is not JSON: ${(e as Error).message}`);
  }
  const sweep = (json.sweeps as Record<string, unknown> | undefined)?.['max-softmax'];
  if (!Array.isArray(sweep) || sweep.length === 0) throw new Error(`${where}: calibrationJson has no sweeps["max-softmax"] (npm run calibrate writes it)`);
  if (typeof json.finalExitAccuracy !== 'number') throw new Error(`${where}: calibrationJson has no finalExitAccuracy`);
  if (!Array.isArray(json.exits) || json.exits.length < 2) throw new Error(`${where}: calibrationJson has fewer than two exits`);
}
