/**
 * A Job that runs a bash script of Kafka admin commands against a cluster's internal listener (topics, users, ACLs).
 * Its name carries a hash of the script: Jobs are immutable, so a changed declaration becomes a new Job.
 */
import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IMAGES, IMAGE_USERS } from '../../contracts/versions';
import type { KafkaCluster } from './kafka-cluster';
import { RESTRICTED_CONTAINER, resourceBlock, restrictedPodSecurity, scratch, standardLabels } from './pod-defaults';

export interface KafkaAdminJobProps {
  readonly cluster: KafkaCluster;
  /** What the Job does: `<cluster>-<purpose>-<hash>` names it, `kafka-<purpose>` labels it. */
  readonly purpose: string;
  readonly containerName: string;
  readonly script: string;
  /** @default IMAGES.kafka */
  readonly image?: string;
  /** Extra read-only mounts (e.g. Secrets) and their volumes. @default - none */
  readonly volumeMounts?: k8s.VolumeMount[];
  readonly volumes?: k8s.Volume[];
}

/** Creates the Job in `scope` (id 'job') and returns its name. */
export function kafkaAdminJob(scope: Construct, props: KafkaAdminJobProps): string {
  const { cluster, purpose } = props;
  const digest = createHash('sha256').update(props.script).digest('hex').slice(0, 8);
  const jobName = `${cluster.name}-${purpose}-${digest}`;
  const labels = standardLabels({ name: `${cluster.name}-${purpose}`, component: `kafka-${purpose}` });
  const tmp = scratch('tmp', '/tmp');
  const logs = scratch('logs', '/var/log/kafka');

  new k8s.KubeJob(scope, 'job', {
    metadata: { name: jobName, labels },
    spec: {
      // Brokers may still be starting: retry with back-off rather than fail the rollout.
      backoffLimit: 20,
      ttlSecondsAfterFinished: 86_400,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'OnFailure',
          automountServiceAccountToken: false,
          securityContext: restrictedPodSecurity(IMAGE_USERS.kafka),
          containers: [
            {
              name: props.containerName,
              image: props.image ?? IMAGES.kafka,
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/bash', '-c', props.script],
              env: [
                { name: 'BOOTSTRAP', value: cluster.bootstrapServers },
                { name: 'LOG_DIR', value: '/var/log/kafka' },
                { name: 'KAFKA_HEAP_OPTS', value: '-Xmx128m' },
              ],
              resources: resourceBlock({ cpu: '100m', memory: '256Mi' }),
              securityContext: { ...RESTRICTED_CONTAINER, runAsUser: IMAGE_USERS.kafka },
              volumeMounts: [...(props.volumeMounts ?? []), tmp.mount, logs.mount],
            },
          ],
          volumes: [...(props.volumes ?? []), tmp.volume, logs.volume],
        },
      },
    },
  });
  return jobName;
}
