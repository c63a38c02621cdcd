import * as os from 'os';
import { Testing } from 'cdk8s';
import { buildContinuum } from '../../constructs/continuum';
import { parseEnvironment } from '../../environments';
import { paperHa } from '../../environments/paper-ha';
import { KafkaCluster } from '../../constructs/k8s/kafka-cluster';
import { TRAINING_DATA_MOUNT, TrainingJob, type TrainingJobProps } from '../../constructs/k8s/training-job';
import { WORKER_ENV } from '../../contracts/worker-env';
import { find } from './fixtures';
import { type Manifest, containersOf, envOf, referenceProblems, schemaErrors } from './manifest-checks';

const IMAGE = 'europe-west1-docker.pkg.dev/continuum-ddnn/ddnn/trainer:0.1.0';

function synth(extra: Partial<TrainingJobProps> = {}, secured = false) {
  const chart = Testing.chart();
  const cluster = secured
    ? KafkaCluster.fromExisting({ name: 'cloud', bootstrapServers: 'kafka.ddnn.svc:9093', brokers: 3, clientSecurity: { credentialsSecretName: 'trainer-login', caSecretName: 'cloud-ca' } })
    : new KafkaCluster(chart, 'kafka', { name: 'kafka', brokers: 3, external: { type: 'NodePort', host: '203.0.113.7' } });
  const training = new TrainingJob(chart, 'training', { cluster, image: IMAGE, architecture: 'compact-branchynet', layer: 'cloud', ...extra });
  const objects: Manifest[] = Testing.synth(chart);
  return { training, objects, job: find(objects, 'Job', training.jobName), cluster };
}

describe('TrainingJob', () => {
  test('runs the pipeline trainer on the dataset topics, checkpointing to a claim; valid against the k8s schemas', () => {
    const { training, objects, job, cluster } = synth({ epochs: 5, exits: ['edge_output', 'cloud_output'] });
    for (const o of objects) expect(schemaErrors(o)).toEqual([]);
    expect(referenceProblems(objects)).toEqual([]);
    const [c] = containersOf(job);
    expect(c.image).toBe(IMAGE);
    expect([...c.command, ...c.args]).toEqual([
      'node', '/app/pipeline.js', 'train', '--brokers', cluster.bootstrapServers, '--arch', 'compact-branchynet',
      '--train-topic', 'ddnn.dataset.train', '--eval-topic', 'ddnn.dataset.eval', '--epochs', '5', '--batch-size', '32', '--checkpoint-every', '200',
      '--checkpoint-dir', `${TRAINING_DATA_MOUNT}/checkpoints/compact-branchynet`, '--out', `${TRAINING_DATA_MOUNT}/trained/compact-branchynet`,
      '--backend', 'auto', '--log-every', '50', '--exits', 'edge_output', 'cloud_output',
    ]);
    // a restarted container resumes from the claim's checkpoint
    expect(job.spec.template.spec.restartPolicy).toBe('OnFailure');
    const claim = find(objects, 'PersistentVolumeClaim', training.claimName);
    expect(claim.spec.resources.requests.storage).toBe('5Gi');
    expect(job.spec.template.spec.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: training.claimName } });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false });
    expect(training.trainedPath).toBe(`${TRAINING_DATA_MOUNT}/trained/compact-branchynet`);
  });

  test("a secured cluster: the worker's login variables from the Secret and the CA mounted, no literal password", () => {
    const { objects, job } = synth({}, true);
    const [c] = containersOf(job);
    expect(envOf(c)[WORKER_ENV.kafkaTlsCaFile]).toBe('/etc/ddnn/kafka-ca/ca.crt');
    const fromSecret = c.env.filter((e: Manifest) => e.valueFrom?.secretKeyRef?.name === 'trainer-login').map((e: Manifest) => e.name);
    expect(fromSecret.sort()).toEqual([WORKER_ENV.kafkaSaslPassword, WORKER_ENV.kafkaSaslUsername].sort());
    expect(referenceProblems(objects, ['trainer-login', 'cloud-ca'])).toEqual([]);
  });

  test('a changed declaration is a new Job (Jobs are immutable), on the same claim', () => {
    const a = synth({ epochs: 5 }).training;
    const b = synth({ epochs: 6 }).training;
    expect(a.jobName).not.toBe(b.jobName);
    expect(a.claimName).toBe(b.claimName);
  });

  test('bad props fail naming the field', () => {
    expect(() => synth({ image: 'trainer:latest' })).toThrow('image (trainer:latest) must not use :latest');
    expect(() => synth({ image: 'trainer' })).toThrow('image (trainer) must be pinned by tag or digest');
    expect(() => synth({ architecture: 'Compact Net' })).toThrow('architecture (Compact Net) must be a spec name');
    expect(() => synth({ epochs: 0 })).toThrow('epochs (0) must be a positive integer');
    expect(() => synth({ exits: ['edge output'] })).toThrow('exits[0] (edge output) is not an exit name');
    expect(() => synth({ trainTopic: 'a b' })).toThrow('trainTopic (a b) is not a topic name');
  });
});

describe('environments: the training block', () => {
  const training = { layer: 'cloud', image: { repository: 'europe-west1-docker.pkg.dev/continuum-ddnn/ddnn/trainer', tag: '0.1.0' }, architecture: 'compact-branchynet', epochs: 3 };

  test('off by default; given, the layer it names gets the Job on its own cluster and dataset topics', () => {
    const without = buildContinuum(parseEnvironment(paperHa(2)), os.tmpdir());
    expect(without.layers.flatMap((l) => l.app.charts.flatMap((c) => c.toJson())).filter((o: Manifest) => o.kind === 'Job' && o.metadata.name.includes('-train-'))).toEqual([]);
    const env = parseEnvironment({ ...paperHa(2), training });
    const built = buildContinuum(env, os.tmpdir());
    const objectsOf = (layer: string) => built.layers.find((l) => l.layer === layer)!.app.charts.flatMap((c) => c.toJson()) as Manifest[];
    const jobs = objectsOf('cloud').filter((o) => o.kind === 'Job' && o.metadata.name.includes('-train-'));
    expect(jobs).toHaveLength(1);
    for (const o of objectsOf('cloud')) expect(schemaErrors(o)).toEqual([]);
    const args: string[] = containersOf(jobs[0])[0].args;
    expect(args.slice(args.indexOf('--train-topic'), args.indexOf('--train-topic') + 4)).toEqual(['--train-topic', `${env.topics.prefix}.dataset.train`, '--eval-topic', `${env.topics.prefix}.dataset.eval`]);
    expect(args[args.indexOf('--brokers') + 1]).toBe(built.layers.find((l) => l.layer === 'cloud')!.kafka.bootstrapServers);
    expect(objectsOf('edge').filter((o) => o.kind === 'Job' && o.metadata.name.includes('-train-'))).toEqual([]);
  });

  test('a training layer that does not exist is an error naming it', () => {
    expect(() => parseEnvironment({ ...paperHa(2), training: { ...training, layer: 'fog' } })).toThrow(/training\.layer.*layer "fog" is not one of the layers \(edge, cloud\)/);
  });
});
