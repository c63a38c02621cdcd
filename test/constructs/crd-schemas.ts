import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
/**
 * Minimal JSON schemas for the CRD fields the constructs use (KubeFed v0.10 and Karmada v1.x shapes). No npm
 * package ships these CRDs' schemas, so they are written here from the upstream CRD definitions, strict
 * (`additionalProperties: false`) on every object the constructs write, so a misspelt field fails the test.
 */
const str = { type: 'string', minLength: 1 } as const;
const meta = {
  type: 'object',
  required: ['name'],
  properties: { name: str, namespace: str, labels: { type: 'object', additionalProperties: { type: 'string' } }, annotations: { type: 'object' } },
  additionalProperties: false,
} as const;
const obj = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const arr = (items: unknown, minItems = 0) => ({ type: 'array', items, minItems });
const root = (apiVersion: string, kind: string, spec: unknown, requireSpec = true) =>
  obj({ apiVersion: { const: apiVersion }, kind: { const: kind }, metadata: meta, spec }, ['apiVersion', 'kind', 'metadata', ...(requireSpec ? ['spec'] : [])]);

const placementClusters = obj({ clusters: arr(obj({ name: str }, ['name'])), clusterSelector: { type: 'object' } });
const apiResource = obj({ group: { type: 'string' }, kind: str, pluralName: str, scope: { enum: ['Cluster', 'Namespaced'] }, version: str }, ['kind', 'pluralName', 'scope', 'version']);
const resourceSelector = obj({ apiVersion: str, kind: str, name: str, namespace: str, labelSelector: { type: 'object' } }, ['apiVersion', 'kind']);

export const CRD_SCHEMAS: Record<string, object> = {
  'core.kubefed.io/v1beta1/KubeFedCluster': root(
    'core.kubefed.io/v1beta1',
    'KubeFedCluster',
    obj({ apiEndpoint: { type: 'string', pattern: '^https://' }, caBundle: { type: 'string' }, secretRef: obj({ name: str }, ['name']), disabledTLSValidations: arr({ type: 'string' }) }, ['apiEndpoint', 'secretRef']),
  ),
  'core.kubefed.io/v1beta1/FederatedTypeConfig': root(
    'core.kubefed.io/v1beta1',
    'FederatedTypeConfig',
    obj({ targetType: apiResource, federatedType: apiResource, statusType: apiResource, propagation: { enum: ['Enabled', 'Disabled'] }, statusCollection: { enum: ['Enabled', 'Disabled'] } }, ['targetType', 'federatedType', 'propagation']),
  ),
  'types.kubefed.io/v1beta1/FederatedNamespace': root('types.kubefed.io/v1beta1', 'FederatedNamespace', obj({ placement: placementClusters, template: { type: 'object' }, overrides: { type: 'array' } }, ['placement'])),
  'types.kubefed.io/v1beta1/FederatedDeployment': root(
    'types.kubefed.io/v1beta1',
    'FederatedDeployment',
    obj(
      {
        template: obj({ metadata: { type: 'object' }, spec: { type: 'object' } }, ['spec']),
        placement: placementClusters,
        // KubeFed keeps the member's replica count (set there by an autoscaler) instead of the template's.
        retainReplicas: { type: 'boolean' },
        overrides: arr(
          obj({ clusterName: str, clusterOverrides: arr(obj({ op: { enum: ['add', 'remove', 'replace'] }, path: { type: 'string', pattern: '^/' }, value: {} }, ['path']), 1) }, ['clusterName', 'clusterOverrides']),
        ),
      },
      ['template', 'placement'],
    ),
  ),
  'cluster.karmada.io/v1alpha1/Cluster': obj(
    {
      apiVersion: { const: 'cluster.karmada.io/v1alpha1' },
      kind: { const: 'Cluster' },
      metadata: meta,
      spec: obj({ syncMode: { enum: ['Push', 'Pull'] }, apiEndpoint: { type: 'string' }, secretRef: obj({ namespace: str, name: str }, ['namespace', 'name']), region: str, zone: str, provider: str }, ['syncMode']),
    },
    ['apiVersion', 'kind', 'metadata', 'spec'],
  ),
  'policy.karmada.io/v1alpha1/PropagationPolicy': root(
    'policy.karmada.io/v1alpha1',
    'PropagationPolicy',
    obj(
      {
        resourceSelectors: arr(resourceSelector, 1),
        placement: obj({
          clusterAffinity: obj({ clusterNames: arr(str, 1), labelSelector: { type: 'object' }, exclude: arr(str) }),
          replicaScheduling: obj({ replicaSchedulingType: { enum: ['Duplicated', 'Divided'] }, replicaDivisionPreference: { enum: ['Aggregated', 'Weighted'] }, weightPreference: { type: 'object' } }),
          spreadConstraints: { type: 'array' },
        }),
      },
      ['resourceSelectors'],
    ),
  ),
  'policy.karmada.io/v1alpha1/OverridePolicy': root(
    'policy.karmada.io/v1alpha1',
    'OverridePolicy',
    obj(
      {
        resourceSelectors: arr(resourceSelector, 1),
        overrideRules: arr(
          obj(
            {
              targetCluster: obj({ clusterNames: arr(str, 1), labelSelector: { type: 'object' } }),
              overriders: obj({ plaintext: arr(obj({ path: { type: 'string', pattern: '^/' }, operator: { enum: ['add', 'remove', 'replace'] }, value: {} }, ['path', 'operator'])), imageOverrider: { type: 'array' } }),
            },
            ['overriders'],
          ),
        ),
      },
      ['resourceSelectors'],
    ),
  ),
};

/**
 * Strimzi's own CRD schemas (constructs/imports/strimzi/crds-0.47.0.yaml, Strimzi 0.47.0, the CRDs the constructs
 * are generated from), made strict: every object schema with `properties` and no rule for other keys gets
 * `additionalProperties: false`. The API server would silently prune a misspelt field; the test fails on it instead.
 */
function strict(schema: unknown, shape = true): unknown {
  if (Array.isArray(schema)) return schema.map((s) => strict(s, shape));
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = Object.fromEntries(
    Object.entries(schema).map(([k, v]) => [
      k,
      k === 'properties'
        ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, strict(s)]))
        : // oneOf/anyOf/allOf/not branches constrain the object their parent shapes: they get no closing of their own.
          strict(v, !['oneOf', 'anyOf', 'allOf', 'not'].includes(k)),
    ]),
  );
  if (typeof out.pattern === 'string') out.pattern = re2ToJs(out.pattern);
  // OpenAPI formats (int32, int64, date-time, byte) are not ajv's without ajv-formats (it warns and ignores them); `type` still holds.
  delete out.format;
  if (shape && out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  return out;
}

/**
 * CRD patterns are Go RE2; JavaScript has no inline `(?i)` flag: spell each letter after it as `[xX]` (only the
 * Prometheus Operator's `^(?i)(abort|warn)?$` uses it, with no character classes after the flag).
 */
function re2ToJs(pattern: string): string {
  const i = pattern.indexOf('(?i)');
  if (i < 0) return pattern;
  const rest = pattern.slice(i + 4);
  if (/[[\\]/.test(rest)) throw new Error(`crd-schemas: cannot translate the RE2 pattern ${pattern}`);
  return pattern.slice(0, i) + rest.replace(/[a-zA-Z]/g, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);
}

/**
 * KEDA's and the Prometheus Operator's CRDs, verbatim from their releases (test/constructs/crds/SOURCES.md), made
 * strict the same way.
 */
export const OPERATIONS_CRD_DIR = path.join(__dirname, 'crds');
export const OPERATIONS_CRD_FILES = readdirSync(OPERATIONS_CRD_DIR).filter((f) => f.endsWith('.yaml'));

const crdsOf = (file: string) =>
  parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJSON())
    .filter((d) => d?.kind === 'CustomResourceDefinition');
const allCrds = [
  ...crdsOf(path.join(__dirname, '../../constructs/imports/strimzi/crds-0.47.0.yaml')),
  ...OPERATIONS_CRD_FILES.flatMap((f) => crdsOf(path.join(OPERATIONS_CRD_DIR, f))),
];
for (const crd of allCrds) {
  for (const v of crd.spec.versions) {
    const apiVersion = `${crd.spec.group}/${v.name}`;
    const s = strict(v.schema.openAPIV3Schema) as Record<string, any>;
    // metadata is `type: object` in a CRD; check the parts a manifest needs.
    s.properties.metadata = meta;
    s.properties.apiVersion = { const: apiVersion };
    s.properties.kind = { const: crd.spec.names.kind };
    s.required = [...new Set(['apiVersion', 'kind', 'metadata', 'spec', ...(s.required ?? [])])];
    CRD_SCHEMAS[`${apiVersion}/${crd.spec.names.kind}`] = s;
  }
}
