/**
 * Scales one layer's workers on consumer lag with KEDA's kafka scaler: a ScaledObject (keda.sh/v1alpha1) on the
 * worker Deployment that reads the worker group's lag on its input topic, and, when the worker logs in to its own
 * cluster (SASL_SSL), a TriggerAuthentication reading the same Secrets the worker mounts. Replicas stay between 1
 * and the input topic's partitions: a consumer group never has more useful members than partitions.
 * KEDA must be installed (OPERATIONS.kedaVersion); its operator reads the lag from the brokers directly, so a
 * NetworkPolicy must admit its namespace to the brokers (LayerNetworkPolicies' `lagReaderNamespace`).
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { InferenceLayer } from './inference-layer';

export interface LagAutoscalerProps {
  /** The workers to scale (their Deployment, input topic, consumer group and bootstrap servers). */
  readonly worker: InferenceLayer;
  /** Target lag per replica: KEDA adds a replica for each `lagThreshold` records behind. */
  readonly lagThreshold: number;
  /** @default 1 */
  readonly minReplicas?: number;
  /** @default - the input topic's partitions */
  readonly maxReplicas?: number;
  /** Seconds between lag checks. @default 15 */
  readonly pollingInterval?: number;
  /** Seconds without lag before scaling down to minReplicas. @default 300 */
  readonly cooldownPeriod?: number;
}

export class LagAutoscaler extends Construct {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Escape hatches: the objects as synthesized. */
  readonly scaledObject: ApiObject;
  readonly triggerAuthentication?: ApiObject;

  constructor(scope: Construct, id: string, props: LagAutoscalerProps) {
    super(scope, id);
    const { worker } = props;
    const { input } = worker;
    const where = `LagAutoscaler ${worker.layer}`;
    const min = (this.minReplicas = props.minReplicas ?? 1);
    const max = (this.maxReplicas = props.maxReplicas ?? input.partitions);
    if (!Number.isInteger(min) || min < 1) throw new Error(`${where}: minReplicas (${min}) must be an integer ≥ 1`);
    if (!Number.isInteger(max) || max > input.partitions)
      throw new Error(`${where}: maxReplicas (${max}) must be an integer ≤ partitions of ${input.topic} (${input.partitions}): extra consumers sit idle`);
    if (min > max) throw new Error(`${where}: minReplicas (${min}) must be ≤ maxReplicas (${max})`);
    if (!Number.isInteger(props.lagThreshold) || props.lagThreshold < 1)
      throw new Error(`${where}: lagThreshold (${props.lagThreshold}) must be an integer ≥ 1`);
    for (const [field, v] of [['pollingInterval', props.pollingInterval], ['cooldownPeriod', props.cooldownPeriod]] as const)
      if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new Error(`${where}: ${field} (${v}) must be an integer ≥ 1 (seconds)`);
    if (!worker.autoscaled)
      throw new Error(`${where}: the InferenceLayer must be created with autoscaled: true, or its Deployment's replicas fight the ScaledObject`);

    const name = worker.name;
    const security = input.security;
    if (security)
      this.triggerAuthentication = new ApiObject(this, 'trigger-authentication', {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'TriggerAuthentication',
        metadata: { name: `${name}-kafka`, labels: worker.podLabels },
        spec: {
          secretTargetRef: [
            { parameter: 'username', name: security.credentialsSecretName, key: 'username' },
            { parameter: 'password', name: security.credentialsSecretName, key: 'password' },
            { parameter: 'ca', name: security.caSecretName, key: 'ca.crt' },
          ],
        },
      });

    this.scaledObject = new ApiObject(this, 'scaled-object', {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name, labels: worker.podLabels },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicaCount: min,
        maxReplicaCount: max,
        pollingInterval: props.pollingInterval ?? 15,
        cooldownPeriod: props.cooldownPeriod ?? 300,
        triggers: [
          {
            type: 'kafka',
            metadata: {
              bootstrapServers: input.bootstrapServers,
              consumerGroup: input.groupId,
              topic: input.topic,
              lagThreshold: String(props.lagThreshold),
              // A group that has not committed yet still counts its backlog from the start of the topic.
              offsetResetPolicy: 'earliest',
              // Replicas beyond partitions would idle (also enforced by maxReplicaCount).
              allowIdleConsumers: 'false',
              ...(security ? { sasl: 'scram_sha512', tls: 'enable' } : {}),
            },
            ...(this.triggerAuthentication ? { authenticationRef: { name: this.triggerAuthentication.name } } : {}),
          },
        ],
      },
    });
  }
}
