/**
 * cdk8s app (see cdk8s.yaml): synthesizes every environment that runs on Kubernetes into
 * `<outdir>/<environment>/<layer>/` (one folder per layer cluster, applied with `kubectl apply -f`) and
 * `<outdir>/<environment>/federation/` (applied to the federation control plane).
 *
 *   npx tsx constructs/main.ts [environment ...]      # default: all; outdir from CDK8S_OUTDIR or dist/manifests
 */
import * as fs from 'fs';
import * as path from 'path';
import { type Environment, getEnvironment, listEnvironments } from '../environments';
import { OPERATIONS } from '../contracts/versions';
import { type ContinuumManifests, buildContinuum, synthesizableEnvironment } from './continuum';
import { STRIMZI_VERSION, StrimziKafkaCluster } from './k8s/strimzi';

export function synthesize(names: string[], outroot: string): ContinuumManifests[] {
  const results: ContinuumManifests[] = [];
  for (const name of names) {
    const env = getEnvironment(name);
    if (!synthesizableEnvironment(env)) continue;
    const manifests = buildContinuum(env, outroot);
    fs.rmSync(path.join(outroot, env.name), { recursive: true, force: true });
    for (const layer of manifests.layers) {
      layer.app.synth();
      fs.writeFileSync(
        path.join(layer.outdir, 'REQUIRED-SECRETS.md'),
        requiredSecretsDoc(env.name, layer.layer, env.namespace, layer.requiredSecrets, layer.kafka instanceof StrimziKafkaCluster, env.operations),
      );
    }
    if (manifests.federation) {
      manifests.federation.app.synth();
      fs.writeFileSync(path.join(manifests.federation.outdir, 'README.md'), federationDoc(manifests));
    }
    results.push(manifests);
  }
  return results;
}

function requiredSecretsDoc(env: string, layer: string, namespace: string, secrets: ContinuumManifests['layers'][number]['requiredSecrets'], strimzi: boolean, ops: Environment['operations']): string {
  const operators = [
    ...(ops.autoscaling ? [`KEDA ${OPERATIONS.kedaVersion} (ScaledObject; its namespace \`${ops.autoscaling.kedaNamespace}\` may read the brokers' internal listener)`] : []),
    ...(ops.monitoring || ops.alerts ? [`the Prometheus Operator ${OPERATIONS.prometheusOperatorVersion} (PodMonitor, PrometheusRule) with kube-state-metrics`] : []),
    ...(ops.dashboards ? ['Grafana with its dashboard sidecar (ConfigMaps labelled `grafana_dashboard: "1"`)'] : []),
  ];
  const lines = [
    `# Secrets to create in the ${layer} cluster (${env}) before \`kubectl apply -f .\``,
    '',
    ...(strimzi
      ? [
          `Kafka here is run by the Strimzi operator: install Strimzi ${STRIMZI_VERSION} (watching namespace \`${namespace}\`) first; its`,
          'CRDs are the ones the manifests were generated from (constructs/imports/strimzi).',
          '',
        ]
      : []),
    ...(operators.length > 0 ? [`\`45-operations\` needs, installed first: ${operators.join('; ')}. These releases' CRDs are what the objects were validated against.`, ''] : []),
    'Credentials are never synthesized into manifests. Create these in namespace `' + namespace + '`, e.g. with',
    '`kubectl create secret generic NAME --from-file=KEY=PATH …` or your secret manager.',
    '',
  ];
  if (secrets.length === 0) lines.push('None: this environment uses PLAINTEXT listeners.');
  for (const s of secrets) lines.push(`- \`${s.name}\` (keys: ${s.keys.map((k) => `\`${k}\``).join(', ')}): ${s.purpose}`);
  return `${lines.join('\n')}\n`;
}

function federationDoc(m: ContinuumManifests): string {
  const env = m.environment;
  const engine = env.federation.engine;
  const host = env.federation.hostLayer ?? env.layers.find((l) => l.cluster.kind === 'gke')?.name ?? env.layers[0].name;
  const join =
    engine === 'kubefed'
      ? `Install KubeFed (v0.10, archived upstream) on the ${host} cluster, then join every layer with \`kubefedctl join <layer>\`: it writes the \`<layer>-kubefed\` token Secrets the KubeFedCluster objects name (never synthesized here).`
      : `Install the Karmada control plane next to the ${host} cluster; \`karmadactl join\` the push members (writes \`karmada-cluster/<layer>\`), \`karmadactl register\` the pull members (on-prem sites, see dist/edge-site).`;
  return [
    `# Federation control plane of ${env.name} (${engine})`,
    '',
    `Apply this folder to the federation control plane (the ${host} cluster) after the layer clusters are up:`,
    '`kubectl apply -f .`',
    '',
    join,
    '',
    `The worker Deployment is placed from here on: ${m.layers.filter((l) => l.worker).map((l) => l.layer).join(', ')}.`,
    '',
  ].join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const names = args.length > 0 ? args : listEnvironments();
  const outroot = process.env.CDK8S_OUTDIR ?? path.join('dist', 'manifests');
  for (const m of synthesize(names, outroot)) {
    const folders = [...m.layers.map((l) => l.outdir), ...(m.federation ? [m.federation.outdir] : [])];
    console.log(`${m.environment.name}: ${folders.join(', ')}`);
  }
}
