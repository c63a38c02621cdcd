/**
 * cdk8s app (see cdk8s.yaml): synthesizes every environment that runs on Kubernetes into
 * `<outdir>/<environment>/<layer>/` (one folder per layer cluster, applied with `kubectl apply -f`) and
 * `<outdir>/<environment>/federation/` (applied to the federation control plane).
 *
 *   npx tsx constructs/main.ts [environment ...]      # default: all; outdir from CDK8S_OUTDIR or dist/manifests
 */
import * as fs from 'fs';
import * as path from 'path';
import { getEnvironment, listEnvironments } from '../environments';
import { type ContinuumManifests, buildContinuum, synthesizableEnvironment } from './continuum';

export function synthesize(names: string[], outroot: string): ContinuumManifests[] {
  const results: ContinuumManifests[] = [];
  for (const name of names) {
    const env = getEnvironment(name);
    if (!synthesizableEnvironment(env)) continue;
    const manifests = buildContinuum(env, outroot);
    fs.rmSync(path.join(outroot, env.name), { recursive: true, force: true });
    for (const layer of manifests.layers) {
      layer.app.synth();
      fs.writeFileSync(path.join(layer.outdir, 'REQUIRED-SECRETS.md'), requiredSecretsDoc(env.name, layer.layer, env.namespace, layer.requiredSecrets));
    }
    manifests.federation?.app.synth();
    results.push(manifests);
  }
  return results;
}

function requiredSecretsDoc(env: string, layer: string, namespace: string, secrets: ContinuumManifests['layers'][number]['requiredSecrets']): string {
  const lines = [
    `# Secrets to create in the ${layer} cluster (${env}) before \`kubectl apply -f .\``,
    '',
    'Credentials are never synthesized into manifests. Create these in namespace `' + namespace + '`, e.g. with',
    '`kubectl create secret generic NAME --from-file=KEY=PATH …` or your secret manager.',
    '',
  ];
  if (secrets.length === 0) lines.push('None: this environment uses PLAINTEXT listeners.');
  for (const s of secrets) lines.push(`- \`${s.name}\` (keys: ${s.keys.map((k) => `\`${k}\``).join(', ')}): ${s.purpose}`);
  return `${lines.join('\n')}\n`;
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
