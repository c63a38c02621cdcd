import { Testing } from 'cdk8s';
import * as lib from '../../constructs';
import { AdaptiveController, type AdaptiveControllerProps } from '../../constructs/k8s/adaptive-controller';
import { CONTROLLER_ENV } from '../../contracts/controller-env';
import { WORKER_ENV } from '../../contracts/worker-env';
import { parseLayer } from '../../runtime/controller/main';
import { find } from './fixtures';
import { type Manifest, containersOf, envOf, referenceProblems, schemaErrors } from './manifest-checks';

const IMAGE = 'europe-west1-docker.pkg.dev/continuum-ddnn/ddnn/worker:0.1.0';
const CALIBRATION = JSON.stringify({
  modelVersion: 'f8ba5c947e60fecb',
  placement: 'edge-cloud',
  accuracyBudget: 0.01,
  finalExitAccuracy: 0.9037,
  exits: [{ name: 'edge_output', forwardBytes: 49152 }, { name: 'cloud_output', forwardBytes: 0 }],
  sweeps: { 'max-softmax': [{ threshold: 0.8, answered: [0.56, 0.44], overallAccuracy: 0.897 }] },
});
const LAYERS = [
  { name: 'edge', bootstrapServers: 'edge-kafka-bootstrap:9092', metricsUrls: ['http://edge-workers-headless:8080/metrics'] },
  { name: 'cloud', bootstrapServers: '203.0.113.7:31094', metricsUrls: ['http://203.0.113.7:30080/metrics'] },
];

function synth(extra: Partial<AdaptiveControllerProps> = {}) {
  const chart = Testing.chart();
  const controller = new AdaptiveController(chart, 'controller', { image: IMAGE, layers: LAYERS, calibrationJson: CALIBRATION, ...extra });
  const objects: Manifest[] = Testing.synth(chart);
  return { controller, objects, deployment: find(objects, 'Deployment', controller.name) };
}

describe('AdaptiveController', () => {
  test('one controller pod (Recreate) with the layers, the calibration mounted from its ConfigMap; valid against the k8s schemas', () => {
    const { objects, deployment, controller } = synth({ accuracyBudget: 0.02 });
    for (const o of objects) expect(schemaErrors(o)).toEqual([]);
    expect(referenceProblems(objects)).toEqual([]);
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    const [c] = containersOf(deployment);
    expect(c.image).toBe(IMAGE);
    expect(c.command).toEqual(['node', '--enable-source-maps', 'controller.js']);
    const env = envOf(c);
    expect(env[CONTROLLER_ENV.calibration]).toBe('/etc/ddnn/controller/calibration.json');
    expect(env[CONTROLLER_ENV.budget]).toBe('0.02');
    expect(env[CONTROLLER_ENV.controlTopic]).toBe('ddnn.control');
    // what the process parses back
    expect(env[CONTROLLER_ENV.layers].split(' ').map(parseLayer)).toEqual(LAYERS.map((l) => ({ name: l.name, brokers: l.bootstrapServers, metrics: l.metricsUrls })));
    expect(find(objects, 'ConfigMap', `${controller.name}-calibration`).data['calibration.json']).toBe(CALIBRATION);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false });
    expect(deployment.spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  test("other layers' SASL_SSL listeners: the worker's login variables from the Secret, the CA mounted, no literal password", () => {
    const { objects, deployment } = synth({ remoteSecurity: { credentialsSecretName: 'controller-login', caSecretName: 'cloud-ca' } });
    const [c] = containersOf(deployment);
    expect(envOf(c)[WORKER_ENV.kafkaTlsCaFile]).toBe('/etc/ddnn/kafka-ca/ca.crt');
    const fromSecret = c.env.filter((e: Manifest) => e.valueFrom?.secretKeyRef?.name === 'controller-login').map((e: Manifest) => e.name);
    expect(fromSecret.sort()).toEqual([WORKER_ENV.kafkaSaslPassword, WORKER_ENV.kafkaSaslUsername].sort());
    expect(referenceProblems(objects, ['controller-login', 'cloud-ca'])).toEqual([]);
    // what the process reads back
    expect(c.env.find((e: Manifest) => e.name === WORKER_ENV.kafkaSaslMechanism).value).toBe('scram-sha-512');
  });

  test('is part of the library', () => {
    expect(lib.AdaptiveController).toBe(AdaptiveController);
  });

  test('no budget given: the calibration decides (no env var)', () => {
    const [c] = containersOf(synth().deployment);
    expect(envOf(c)[CONTROLLER_ENV.budget]).toBeUndefined();
  });

  test("a standby whole-model worker's metrics enable cloud-only; without them, no variable", () => {
    expect(envOf(containersOf(synth().deployment)[0])[CONTROLLER_ENV.wholeModelMetrics]).toBeUndefined();
    const urls = ['http://whole-model.cloud:8080/metrics'];
    expect(envOf(containersOf(synth({ wholeModelMetricsUrls: urls }).deployment)[0])[CONTROLLER_ENV.wholeModelMetrics]).toBe(urls[0]);
  });

  test.each([
    [{ image: 'worker' }, /image \(worker\) must be pinned/],
    [{ layers: LAYERS.slice(0, 1) }, /layers \(1\) must name at least the first and the last layer/],
    [{ layers: [LAYERS[0], { ...LAYERS[1], name: 'Cloud' }] }, /layers\[1\]\.name \(Cloud\) must match/],
    [{ layers: [LAYERS[0], LAYERS[0]] }, /layers\[1\]\.name \(edge\) appears twice/],
    [{ layers: [LAYERS[0], { ...LAYERS[1], metricsUrls: [] }] }, /layers\[1\]\.metricsUrls must name at least one/],
    [{ layers: [LAYERS[0], { ...LAYERS[1], metricsUrls: ['cloud:8080'] }] }, /layers\[1\]\.metricsUrls\[0\] \(cloud:8080\) must be an http\(s\) URL/],
    [{ calibrationJson: '{' }, /calibrationJson is not JSON/],
    [{ calibrationJson: '{"finalExitAccuracy":0.9,"exits":[{},{}]}' }, /no sweeps\["max-softmax"\]/],
    [{ threshold: 1.5 }, /threshold \(1\.5\) must be within 0\.\.1/],
    [{ windowMs: 50 }, /windowMs \(50\) must be an integer within 200\.\.60000/],
    [{ wholeModelMetricsUrls: ['whole:8080'] }, /wholeModelMetricsUrls\[0\] \(whole:8080\) must be an http\(s\) URL/],
  ] as Array<[Partial<AdaptiveControllerProps>, RegExp]>)('rejects bad props at synth: %o', (extra, message) => {
    expect(() => synth(extra)).toThrow(message);
  });
});
