/**
 * Checks on synthesized manifests shared by the construct and environment tests:
 * - schema: every object against the Kubernetes OpenAPI schema (kubernetes-models, ajv-compiled validators),
 *   CRDs against the minimal schemas in crd-schemas.ts, and FederatedDeployment/Karmada templates as Deployments;
 * - references: Services, ConfigMaps and Secrets a pod or StatefulSet names exist (Secrets may instead be declared
 *   as operator-provided), selectors select something, images are pinned.
 */
import Ajv from 'ajv';
import { CRD_SCHEMAS } from './crd-schemas';

export type Manifest = Record<string, any>;

const ajv = new Ajv({ allErrors: true, strict: false });
const crdValidators = new Map(Object.entries(CRD_SCHEMAS).map(([k, s]) => [k, ajv.compile(s)]));

function modelClass(apiVersion: string, kind: string): (new (o: unknown) => { validate(): void }) | undefined {
  const module = apiVersion.includes('/') ? apiVersion : `v1`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(`kubernetes-models/${module}`)[kind];
  } catch {
    return undefined;
  }
}

/** Schema errors of one object ([] when valid); unknown kinds are errors, not skipped. */
export function schemaErrors(o: Manifest): string[] {
  const id = `${o.kind}/${o.metadata?.name}`;
  const crd = crdValidators.get(`${o.apiVersion}/${o.kind}`);
  if (crd) {
    const errors = crd(o) ? [] : (crd.errors ?? []).map((e) => `${id}: ${e.instancePath} ${e.message}`);
    const template = o.kind === 'FederatedDeployment' ? { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: o.metadata.name, ...o.spec.template.metadata }, spec: o.spec.template.spec } : undefined;
    return template ? [...errors, ...schemaErrors(template).map((e) => `${id} template: ${e}`)] : errors;
  }
  const Model = modelClass(o.apiVersion, o.kind);
  if (!Model) return [`${id}: no schema for ${o.apiVersion} ${o.kind}`];
  try {
    new Model(o).validate();
    return [];
  } catch (e) {
    return [`${id}: ${(e as Error).message}`];
  }
}

export function podSpecOf(o: Manifest): Manifest | undefined {
  if (o.kind === 'Pod') return o.spec;
  if (['Deployment', 'StatefulSet', 'Job', 'DaemonSet', 'ReplicaSet'].includes(o.kind)) return o.spec?.template?.spec;
  if (o.kind === 'FederatedDeployment') return o.spec?.template?.spec?.template?.spec;
  return undefined;
}

export function containersOf(o: Manifest): Manifest[] {
  const spec = podSpecOf(o);
  return spec ? [...(spec.initContainers ?? []), ...(spec.containers ?? [])] : [];
}

export function envOf(container: Manifest): Record<string, string> {
  return Object.fromEntries((container.env ?? []).filter((e: Manifest) => e.value !== undefined).map((e: Manifest) => [e.name, e.value]));
}

/** An image reference is pinned when it has a digest, or a tag other than latest. */
export function isPinned(image: string): boolean {
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return true;
  const lastSegment = image.split('/').pop()!;
  const tag = lastSegment.includes(':') ? lastSegment.split(':').pop() : undefined;
  return tag !== undefined && tag !== 'latest' && tag.length > 0;
}

const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/**
 * Reference problems in one cluster's objects. `externalSecrets` are Secrets the operator creates (never
 * synthesized); anything else a pod names must be in `objects`.
 */
export function referenceProblems(objects: Manifest[], externalSecrets: string[] = []): string[] {
  const problems: string[] = [];
  const has = (kind: string, name: string) => objects.some((o) => o.kind === kind && o.metadata?.name === name);
  // StatefulSet pods also carry the controller-set pod-name label, one per ordinal.
  const podTemplates = objects
    .filter((o) => podSpecOf(o) && o.kind !== 'FederatedDeployment')
    .flatMap((o) => {
      const labels = (o.kind === 'Pod' ? o.metadata.labels : o.spec.template.metadata?.labels) ?? {};
      if (o.kind !== 'StatefulSet') return [{ owner: `${o.kind}/${o.metadata.name}`, labels }];
      return Array.from({ length: o.spec.replicas ?? 1 }, (_, i) => ({
        owner: `${o.kind}/${o.metadata.name}-${i}`,
        labels: { ...labels, 'statefulset.kubernetes.io/pod-name': `${o.metadata.name}-${i}` },
      }));
    });

  for (const o of objects) {
    const id = `${o.kind}/${o.metadata?.name}`;
    if (o.kind === 'Secret' && (o.data || o.stringData)) problems.push(`${id}: a Secret with literal data is synthesized`);
    const spec = podSpecOf(o);
    if (spec) {
      for (const v of spec.volumes ?? []) {
        if (v.configMap && !has('ConfigMap', v.configMap.name)) problems.push(`${id}: volume ${v.name} names missing ConfigMap ${v.configMap.name}`);
        if (v.secret && !has('Secret', v.secret.secretName) && !externalSecrets.includes(v.secret.secretName))
          problems.push(`${id}: volume ${v.name} names undeclared Secret ${v.secret.secretName}`);
      }
      const claims = o.kind === 'StatefulSet' ? (o.spec.volumeClaimTemplates ?? []).map((c: Manifest) => c.metadata.name) : [];
      const mounts = new Set([...(spec.volumes ?? []).map((v: Manifest) => v.name), ...claims]);
      for (const c of containersOf(o)) {
        if (!isPinned(c.image)) problems.push(`${id}: container ${c.name} image ${c.image} is not pinned`);
        for (const m of c.volumeMounts ?? []) if (!mounts.has(m.name)) problems.push(`${id}: container ${c.name} mounts undefined volume ${m.name}`);
        for (const e of c.env ?? []) {
          const s = e.valueFrom?.secretKeyRef;
          if (s && !has('Secret', s.name) && !externalSecrets.includes(s.name)) problems.push(`${id}: env ${e.name} names undeclared Secret ${s.name}`);
          const cm = e.valueFrom?.configMapKeyRef;
          if (cm && !has('ConfigMap', cm.name)) problems.push(`${id}: env ${e.name} names missing ConfigMap ${cm.name}`);
        }
      }
    }
    // Secrets Strimzi's operator reads for a custom resource: KafkaUser passwords, MirrorMaker 2 logins and CAs.
    const strimziSecrets: string[] =
      o.kind === 'KafkaUser'
        ? [o.spec.authentication?.password?.valueFrom?.secretKeyRef?.name]
        : o.kind === 'KafkaMirrorMaker2'
          ? o.spec.clusters.flatMap((c: Manifest) => [...(c.tls?.trustedCertificates ?? []).map((t: Manifest) => t.secretName), c.authentication?.passwordSecret?.secretName])
          : [];
    for (const name of strimziSecrets.filter(Boolean))
      if (!has('Secret', name) && !externalSecrets.includes(name)) problems.push(`${id}: names undeclared Secret ${name}`);
    if (o.kind === 'StatefulSet' && !has('Service', o.spec.serviceName)) problems.push(`${id}: serviceName ${o.spec.serviceName} is not a Service`);
    if (o.kind === 'Service' && o.spec.selector && !podTemplates.some((p) => matches(o.spec.selector, p.labels)))
      problems.push(`${id}: selector ${JSON.stringify(o.spec.selector)} selects no pod template`);
    if (o.kind === 'PodDisruptionBudget' && !podTemplates.some((p) => matches(o.spec.selector.matchLabels, p.labels)))
      problems.push(`${id}: selector selects no pod template`);
    if (['Deployment', 'StatefulSet'].includes(o.kind) && !matches(o.spec.selector.matchLabels, o.spec.template.metadata?.labels))
      problems.push(`${id}: selector does not match its own pod template`);
  }
  return problems;
}

/** Services of this cluster a bootstrap list names: hosts `<pod>.<svc>.<ns>.svc…` or `<svc>.<ns>.svc…`. */
export function serviceOfBootstrap(bootstrap: string): string[] {
  return bootstrap
    .split(',')
    .map((hp) => hp.split(':')[0])
    .filter((h) => h.includes('.svc'))
    .map((h) => {
      const labels = h.split('.');
      return labels[labels.indexOf('svc') === 2 ? 0 : 1];
    });
}

/** Topics a KafkaTopics Job creates, or Strimzi's KafkaTopic resources declare: name → partitions. */
export function topicsCreated(objects: Manifest[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of objects.filter((x) => x.kind === 'KafkaTopic')) out.set(t.spec.topicName ?? t.metadata.name, t.spec.partitions);
  for (const o of objects.filter((x) => x.kind === 'Job')) {
    for (const c of containersOf(o)) {
      const script: string = c.command?.join(' ') ?? '';
      for (const m of script.matchAll(/--topic (\S+) --partitions (\d+)/g)) out.set(m[1], Number(m[2]));
    }
  }
  return out;
}

/**
 * A copy fit for snapshots: content owned by other modules (broker/MM2 properties from contracts/kafka, the worker's
 * env contract from contracts/worker-env.ts) is masked, so a change there fails its own field-level tests, not this snapshot.
 */
export function snapshotView(objects: Manifest[]): Manifest[] {
  return JSON.parse(JSON.stringify(objects), (key, value) => {
    if (key === 'ddnn.dev/config-hash') return '<hash>';
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      if (typeof value['mm2.properties'] === 'string' || Object.keys(value).some((k) => /^server-\d+\.properties$/.test(k)))
        return Object.fromEntries(Object.keys(value).map((k) => [k, '<generated from runtime/kafka>']));
      if (value.name === 'worker' && Array.isArray(value.env)) return { ...value, env: '<runtime/worker WORKER_ENV, asserted field by field>' };
    }
    return value;
  });
}
