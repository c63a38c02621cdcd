/**
 * A Job that runs a bash script of Kafka admin commands against a cluster (topics, users, ACLs): a KafkaCluster's
 * internal listener, or an existing cluster with the login of its `clientSecurity`. Its name carries a hash of the
 * script: Jobs are immutable, so a changed declaration becomes a new Job.
 */
import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IMAGES, IMAGE_USERS } from '../../contracts/versions';
import { SCRAM_MECHANISM } from '../../contracts/kafka/security';
import type { IKafkaCluster } from './kafka-endpoint';
import { RESTRICTED_CONTAINER, resourceBlock, restrictedPodSecurity, scratch, standardLabels } from './pod-defaults';

export interface KafkaAdminJobProps {
  readonly cluster: IKafkaCluster;
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

const CLIENT_CONFIG = '/tmp/client.properties';
const CLIENT_CA = '/etc/kafka/client-ca';

/** Creates the Job in `scope` (id 'job'). */
export function kafkaAdminJob(scope: Construct, props: KafkaAdminJobProps): k8s.KubeJob {
  const { cluster, purpose } = props;
  const sec = cluster.clientSecurity;
  // A secured cluster: every tool gets a client config whose login Kafka resolves from env vars (no secret in a file).
  const script = sec
    ? [
        `cat > ${CLIENT_CONFIG} <<'EOF'`,
        'security.protocol=SASL_SSL',
        `sasl.mechanism=${SCRAM_MECHANISM}`,
        'config.providers=env',
        'config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider',
        'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${env:KAFKA_CLIENT_USERNAME}" password="${env:KAFKA_CLIENT_PASSWORD}";',
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${CLIENT_CA}/ca.crt`,
        'EOF',
        props.script.split('--bootstrap-server "$BOOTSTRAP"').join(`--bootstrap-server "$BOOTSTRAP" --command-config ${CLIENT_CONFIG}`),
      ].join('\n')
    : props.script;
  const digest = createHash('sha256').update(script).digest('hex').slice(0, 8);
  const jobName = `${cluster.name}-${purpose}-${digest}`;
  const labels = standardLabels({ name: `${cluster.name}-${purpose}`, component: `kafka-${purpose}` });
  const tmp = scratch('tmp', '/tmp');
  const logs = scratch('logs', '/var/log/kafka');

  const env: k8s.EnvVar[] = [
    { name: 'BOOTSTRAP', value: cluster.bootstrapServers },
    { name: 'LOG_DIR', value: '/var/log/kafka' },
    { name: 'KAFKA_HEAP_OPTS', value: '-Xmx128m' },
  ];
  const mounts = [...(props.volumeMounts ?? []), tmp.mount, logs.mount];
  const volumes = [...(props.volumes ?? []), tmp.volume, logs.volume];
  if (sec) {
    env.push(
      { name: 'KAFKA_CLIENT_USERNAME', valueFrom: { secretKeyRef: { name: sec.credentialsSecretName, key: 'username' } } },
      { name: 'KAFKA_CLIENT_PASSWORD', valueFrom: { secretKeyRef: { name: sec.credentialsSecretName, key: 'password' } } },
    );
    mounts.push({ name: 'client-ca', mountPath: CLIENT_CA, readOnly: true });
    volumes.push({ name: 'client-ca', secret: { secretName: sec.caSecretName, items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
  }

  return new k8s.KubeJob(scope, 'job', {
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
              command: ['/bin/bash', '-c', script],
              env,
              resources: resourceBlock({ cpu: '100m', memory: '256Mi' }),
              securityContext: { ...RESTRICTED_CONTAINER, runAsUser: IMAGE_USERS.kafka },
              volumeMounts: mounts,
            },
          ],
          volumes,
        },
      },
    },
  });
}
