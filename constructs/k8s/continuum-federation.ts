/**
 * The continuum's layer clusters managed from one control plane, as the paper does with KubeFed: member cluster
 * registrations, the namespace placed on every member, and the worker Deployment placed on each layer's cluster
 * with per-cluster overrides (replicas, env wiring, resources). KubeFed is archived upstream, so the same
 * placement can be emitted for Karmada (PropagationPolicy + OverridePolicy) by switching `engine`.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

export type FederationEngine = 'kubefed' | 'karmada';

export interface FederationMember {
  /** Member cluster name: the layer name. */
  readonly name: string;
  /** Kubernetes API endpoint of the member (Push mode). */
  readonly apiEndpoint: string;
  /**
   * Karmada only: 'Pull' when the control plane cannot reach the member (an edge site behind NAT): the member's
   * karmada-agent connects out instead. KubeFed only supports push. @default 'Push'
   */
  readonly syncMode?: 'Push' | 'Pull';
}

export interface ContinuumFederationProps {
  readonly engine: FederationEngine;
  /** Namespace of the continuum in every member. */
  readonly namespace: string;
  readonly members: FederationMember[];
  /** The worker Deployment as each member should run it (by member name); one of them becomes the template. */
  readonly workloads: { readonly cluster: string; readonly manifest: Record<string, any> }[];
  /** @default 'kube-federation-system' */
  readonly kubefedNamespace?: string;
}

/** JSON pointers a member may differ in; anything else must match the template (checked at synth). */
export const OVERRIDABLE_PATHS = [
  '/metadata/labels',
  '/spec/replicas',
  '/spec/template/metadata/labels',
  '/spec/template/spec/containers/0/env',
  '/spec/template/spec/containers/0/resources',
  '/spec/template/spec/containers/0/volumeMounts',
  '/spec/template/spec/volumes',
] as const;

export interface ClusterOverride {
  readonly cluster: string;
  readonly overrides: { path: string; value: unknown }[];
}

export class ContinuumFederation extends Construct {
  readonly engine: FederationEngine;
  /** The Deployment every member starts from. */
  readonly template: Record<string, any>;
  readonly clusterOverrides: ClusterOverride[];

  constructor(scope: Construct, id: string, props: ContinuumFederationProps) {
    super(scope, id);
    const { engine, namespace, members } = props;
    this.engine = engine;
    if (members.length === 0) throw new Error('ContinuumFederation: members must not be empty');
    const memberNames = members.map((m) => m.name);
    for (const w of props.workloads)
      if (!memberNames.includes(w.cluster)) throw new Error(`ContinuumFederation: workload cluster "${w.cluster}" is not a member (${memberNames.join(', ')})`);
    if (props.workloads.length === 0) throw new Error('ContinuumFederation: workloads must not be empty');
    if (engine === 'kubefed')
      for (const m of members)
        if (m.syncMode === 'Pull') throw new Error(`ContinuumFederation: member "${m.name}" uses syncMode Pull, which KubeFed does not support`);

    const template = (this.template = strip(props.workloads[0].manifest));
    this.clusterOverrides = props.workloads.map((w) => ({ cluster: w.cluster, overrides: diff(template, strip(w.manifest), w.cluster) }));
    const workloadName: string = template.metadata.name;
    const clusters = props.workloads.map((w) => w.cluster);
    // A workload without spec.replicas is scaled inside each member (LagAutoscaler's ScaledObject): the control
    // plane must keep the member's count instead of resetting it on every sync.
    const retainReplicas = template.spec?.replicas === undefined;

    if (engine === 'kubefed') {
      const fedNs = props.kubefedNamespace ?? 'kube-federation-system';
      for (const m of members) {
        new ApiObject(this, `member-${m.name}`, {
          apiVersion: 'core.kubefed.io/v1beta1',
          kind: 'KubeFedCluster',
          metadata: { name: m.name, namespace: fedNs, labels: { 'ddnn.dev/layer': m.name } },
          // The token Secret is written by `kubefedctl join`; no credential is synthesized here.
          spec: { apiEndpoint: m.apiEndpoint, secretRef: { name: `${m.name}-kubefed` } },
        });
      }
      for (const [target, fed] of [
        [{ group: '', kind: 'Namespace', pluralName: 'namespaces', scope: 'Cluster', version: 'v1' }, { kind: 'FederatedNamespace', pluralName: 'federatednamespaces' }],
        [{ group: 'apps', kind: 'Deployment', pluralName: 'deployments', scope: 'Namespaced', version: 'v1' }, { kind: 'FederatedDeployment', pluralName: 'federateddeployments' }],
      ] as const) {
        new ApiObject(this, `type-${target.pluralName}`, {
          apiVersion: 'core.kubefed.io/v1beta1',
          kind: 'FederatedTypeConfig',
          metadata: { name: target.group ? `${target.pluralName}.${target.group}` : target.pluralName, namespace: fedNs },
          spec: {
            targetType: target.group ? target : { kind: target.kind, pluralName: target.pluralName, scope: target.scope, version: target.version },
            federatedType: { group: 'types.kubefed.io', kind: fed.kind, pluralName: fed.pluralName, scope: 'Namespaced', version: 'v1beta1' },
            propagation: 'Enabled',
          },
        });
      }
      new ApiObject(this, 'namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
      new ApiObject(this, 'federated-namespace', {
        apiVersion: 'types.kubefed.io/v1beta1',
        kind: 'FederatedNamespace',
        metadata: { name: namespace, namespace },
        spec: { placement: { clusters: memberNames.map((name) => ({ name })) } },
      });
      new ApiObject(this, 'federated-workers', {
        apiVersion: 'types.kubefed.io/v1beta1',
        kind: 'FederatedDeployment',
        metadata: { name: workloadName, namespace, labels: template.metadata.labels },
        spec: {
          template: { metadata: { labels: template.metadata.labels }, spec: template.spec },
          placement: { clusters: clusters.map((name) => ({ name })) },
          ...(retainReplicas ? { retainReplicas: true } : {}),
          overrides: this.clusterOverrides
            .filter((o) => o.overrides.length > 0)
            .map((o) => ({ clusterName: o.cluster, clusterOverrides: o.overrides.map(({ path, value }) => ({ op: 'replace', path, value })) })),
        },
      });
    } else {
      for (const m of members) {
        const mode = m.syncMode ?? 'Push';
        new ApiObject(this, `member-${m.name}`, {
          apiVersion: 'cluster.karmada.io/v1alpha1',
          kind: 'Cluster',
          metadata: { name: m.name, labels: { 'ddnn.dev/layer': m.name } },
          // Push: the control plane calls the member with the token Secret written by `karmadactl join`.
          // Pull: the member's karmada-agent (installed by `karmadactl register`) reports in.
          spec:
            mode === 'Push'
              ? { syncMode: 'Push', apiEndpoint: m.apiEndpoint, secretRef: { namespace: 'karmada-cluster', name: m.name } }
              : { syncMode: 'Pull', apiEndpoint: m.apiEndpoint },
        });
      }
      // Karmada propagates namespaces to all members by itself.
      new ApiObject(this, 'namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
      const labels = retainReplicas ? { ...template.metadata.labels, [KARMADA_RETAIN_REPLICAS]: 'true' } : template.metadata.labels;
      new ApiObject(this, 'workers', { ...template, metadata: { ...template.metadata, labels, namespace } } as never);
      const selector = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: workloadName, namespace }];
      new ApiObject(this, 'propagation', {
        apiVersion: 'policy.karmada.io/v1alpha1',
        kind: 'PropagationPolicy',
        metadata: { name: workloadName, namespace },
        spec: {
          resourceSelectors: selector,
          placement: {
            clusterAffinity: { clusterNames: clusters },
            // Each layer runs its own replica count (set per cluster below), not a share of one total.
            replicaScheduling: { replicaSchedulingType: 'Duplicated' },
          },
        },
      });
      new ApiObject(this, 'overrides', {
        apiVersion: 'policy.karmada.io/v1alpha1',
        kind: 'OverridePolicy',
        metadata: { name: workloadName, namespace },
        spec: {
          resourceSelectors: selector,
          overrideRules: this.clusterOverrides
            .filter((o) => o.overrides.length > 0)
            .map((o) => ({
              targetCluster: { clusterNames: [o.cluster] },
              overriders: { plaintext: o.overrides.map(({ path, value }) => ({ path, operator: 'replace', value })) },
            })),
        },
      });
    }
  }
}

/** Karmada keeps a member's replica count (set there by an autoscaler) on Deployments with this label set to "true". */
const KARMADA_RETAIN_REPLICAS = 'resourcetemplate.karmada.io/retain-replicas';

/** Drops what a control plane sets itself (namespace, status) from a member manifest. */
function strip(manifest: Record<string, any>): Record<string, any> {
  const { status: _status, ...rest } = manifest;
  const { namespace: _ns, ...metadata } = rest.metadata ?? {};
  return { ...rest, metadata };
}

function get(obj: any, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .reduce((o, k) => (o === undefined || o === null ? undefined : o[k.replace(/~1/g, '/').replace(/~0/g, '~')]), obj);
}

function set(obj: any, pointer: string, value: unknown): void {
  const keys = pointer.split('/').slice(1);
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k] ?? (o[k] = {});
  o[keys[keys.length - 1]] = value;
}

/** Overrides turning `template` into `member`, restricted to OVERRIDABLE_PATHS. */
function diff(template: Record<string, any>, member: Record<string, any>, cluster: string): { path: string; value: unknown }[] {
  const out: { path: string; value: unknown }[] = [];
  const rest = JSON.parse(JSON.stringify(member));
  const base = JSON.parse(JSON.stringify(template));
  for (const path of OVERRIDABLE_PATHS) {
    const value = get(member, path);
    if (JSON.stringify(value) !== JSON.stringify(get(template, path))) {
      if (value === undefined) throw new Error(`ContinuumFederation: ${cluster} removes ${path}, which an override cannot express`);
      out.push({ path, value });
    }
    set(rest, path, null);
    set(base, path, null);
  }
  if (JSON.stringify(rest) !== JSON.stringify(base))
    throw new Error(`ContinuumFederation: the workload in ${cluster} differs from the template outside ${OVERRIDABLE_PATHS.join(', ')}`);
  return out;
}
