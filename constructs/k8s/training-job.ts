/**
 * A Kubernetes Job that runs the pipeline's trainer (`npm run pipeline -- train`, models/pipeline/train.ts) against
 * a cluster's dataset topics: Kafka-ML's "deploy training" step. It runs the trainer image (models/Dockerfile), not
 * the worker image: the worker image holds contracts/ and runtime/ only, and training needs models/ (the spec
 * builder, the checkpoint format). Checkpoints and the trained model go to a PersistentVolumeClaim, so a pod that
 * is evicted or OOM-killed resumes from its last checkpoint (weights + consumed offsets) instead of starting over.
 * Kafka access is the cluster's, as for the admin Jobs: the internal listener, or SASL_SSL with the login of its
 * `clientSecurity`, in the variables the worker reads too (contracts/worker-env.ts). The Job's name carries a hash
 * of its arguments: Jobs are immutable, so a changed declaration becomes a new Job.
 */
import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IMAGE_USERS } from '../../contracts/versions';
import { kafkaLogin, type IKafkaCluster } from './kafka-endpoint';
import { RESTRICTED_CONTAINER, memoryBytes, resourceBlock, restrictedPodSecurity, scratch, standardLabels, type ResourceRequest } from './pod-defaults';

export interface TrainingJobProps {
  /** Cluster holding the dataset topics (filled by `npm run pipeline -- ingest`). */
  readonly cluster: IKafkaCluster;
  /** Trainer image (models/Dockerfile), pinned by tag or digest. */
  readonly image: string;
  /** Architecture spec name in the image (models/architectures/<name>.json). */
  readonly architecture: string;
  /** @default 'ddnn.dataset.train' */
  readonly trainTopic?: string;
  /** @default 'ddnn.dataset.eval' */
  readonly evalTopic?: string;
  /** Replays of the training topic. @default 30 */
  readonly epochs?: number;
  /** @default 32 */
  readonly batchSize?: number;
  /** @default 200 */
  readonly checkpointEvery?: number;
  /** Exits to train (the others are still evaluated). @default - all exits of the spec */
  readonly exits?: string[];
  /** @default { cpu: '2', memory: '4Gi' } */
  readonly resources?: ResourceRequest;
  /** Volume for checkpoints and the trained model. @default { size: '5Gi' } */
  readonly storage?: { readonly size: string; readonly storageClassName?: string };
  /** Continuum layer whose cluster runs it (a label). */
  readonly layer?: string;
}

/** Where the claim is mounted: checkpoints/<arch> and trained/<arch> under it. */
export const TRAINING_DATA_MOUNT = '/var/lib/ddnn-training';
const NAME = /^[a-z0-9][a-z0-9-]*$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const EXIT = /^[A-Za-z][A-Za-z0-9_]*$/;

export class TrainingJob extends Construct {
  readonly jobName: string;
  readonly claimName: string;
  /** The trainer's arguments after `train` (what the Job runs). */
  readonly args: string[];
  /** Where the trained model directory ends up on the claim (`register` takes it from there). */
  readonly trainedPath: string;
  /** Escape hatch: the Job as synthesized. */
  readonly job: k8s.KubeJob;

  constructor(scope: Construct, id: string, props: TrainingJobProps) {
    super(scope, id);
    const where = `TrainingJob ${this.node.path}`;
    const { cluster } = props;
    if (!/:[^:@/]+$/.test(props.image) && !props.image.includes('@sha256:')) throw new Error(`${where}: image (${props.image}) must be pinned by tag or digest`);
    if (props.image.endsWith(':latest')) throw new Error(`${where}: image (${props.image}) must not use :latest`);
    if (!NAME.test(props.architecture)) throw new Error(`${where}: architecture (${props.architecture}) must be a spec name in the image (a-z, 0-9, -)`);
    const trainTopic = props.trainTopic ?? 'ddnn.dataset.train';
    const evalTopic = props.evalTopic ?? 'ddnn.dataset.eval';
    for (const [k, v] of Object.entries({ trainTopic, evalTopic })) if (!TOPIC.test(v)) throw new Error(`${where}: ${k} (${v}) is not a topic name`);
    const counts = { epochs: props.epochs ?? 30, batchSize: props.batchSize ?? 32, checkpointEvery: props.checkpointEvery ?? 200 };
    for (const [k, v] of Object.entries(counts)) if (!Number.isInteger(v) || v < 1) throw new Error(`${where}: ${k} (${v}) must be a positive integer`);
    (props.exits ?? []).forEach((e, i) => {
      if (!EXIT.test(e)) throw new Error(`${where}: exits[${i}] (${e}) is not an exit name`);
    });
    const resources = props.resources ?? { cpu: '2', memory: '4Gi' };
    memoryBytes(resources.memory);

    const checkpoints = `${TRAINING_DATA_MOUNT}/checkpoints/${props.architecture}`;
    this.trainedPath = `${TRAINING_DATA_MOUNT}/trained/${props.architecture}`;
    this.args = [
      '--brokers', cluster.bootstrapServers, '--arch', props.architecture, '--train-topic', trainTopic, '--eval-topic', evalTopic,
      '--epochs', String(counts.epochs), '--batch-size', String(counts.batchSize), '--checkpoint-every', String(counts.checkpointEvery),
      '--checkpoint-dir', checkpoints, '--out', this.trainedPath, '--backend', 'auto', '--log-every', '50',
      ...(props.exits?.length ? ['--exits', ...props.exits] : []),
    ];
    const digest = createHash('sha256').update(JSON.stringify([props.image, this.args])).digest('hex').slice(0, 8);
    const base = `${cluster.name}-train-${props.architecture}`.slice(0, 50).replace(/-+$/, '');
    this.jobName = `${base}-${digest}`;
    // The claim outlives Jobs (a changed declaration resumes from the same checkpoints when the spec is the same).
    this.claimName = `${base}-data`;
    const labels = standardLabels({ name: `${cluster.name}-train`, component: 'trainer', layer: props.layer });

    new k8s.KubePersistentVolumeClaim(this, 'data', {
      metadata: { name: this.claimName, labels },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: props.storage?.storageClassName,
        resources: { requests: { storage: k8s.Quantity.fromString(props.storage?.size ?? '5Gi') } },
      },
    });

    const env: k8s.EnvVar[] = [{ name: 'NODE_ENV', value: 'production' }];
    const tmp = scratch('tmp', '/tmp', '1Gi');
    const mounts: k8s.VolumeMount[] = [{ name: 'data', mountPath: TRAINING_DATA_MOUNT }, tmp.mount];
    const volumes: k8s.Volume[] = [{ name: 'data', persistentVolumeClaim: { claimName: this.claimName } }, tmp.volume];
    const sec = cluster.clientSecurity;
    if (sec) {
      const login = kafkaLogin(sec);
      env.push(...login.env);
      mounts.push(login.mount);
      volumes.push(login.volume);
    }

    this.job = new k8s.KubeJob(this, 'job', {
      metadata: { name: this.jobName, labels },
      spec: {
        // A failed container restarts in the same pod (OnFailure) and resumes from the claim's checkpoint; the
        // topics may not be ingested yet on the first tries.
        backoffLimit: 10,
        ttlSecondsAfterFinished: 7 * 86_400,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'OnFailure',
            automountServiceAccountToken: false,
            // The trainer image is node:20 like the worker's, running as its `node` user.
            securityContext: restrictedPodSecurity(IMAGE_USERS.worker),
            containers: [
              {
                name: 'trainer',
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                command: ['node', '/app/pipeline.js', 'train'],
                args: this.args,
                env,
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
