/**
 * cdktf app (see cdktf.json): one stack per GKE layer of every environment (`<environment>-<layer>`, Terraform JSON
 * in cdktf.out/stacks/), and for every on-prem layer the site bundle of infra/edge-site.ts in
 * dist/edge-site/<environment>/<layer>/.
 *
 *   npx tsx infra/main.ts [environment ...]      # default: all; outdir from CDKTF_OUTDIR or cdktf.out
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdktf';
import { type Environment, getEnvironment, listEnvironments } from '../environments';
import { CloudLayerStack } from './cloud-layer-stack';
import { SharedCloudStack, modelBucketName } from './shared-cloud-stack';
import { edgeSiteBundle } from './edge-site';

/** Ranges the cloud's Kafka WAN listeners admit: the on-prem layers' egress, or the declared client ranges. */
export function edgeCidrsOf(env: Environment): string[] {
  const cidrs = new Set<string>(env.cloud?.clientCidrs ?? []);
  for (const l of env.layers) if (l.cluster.kind === 'on-prem') l.cluster.egressCidrs.forEach((c) => cidrs.add(c));
  return [...cidrs];
}

export interface Infra {
  readonly shared: SharedCloudStack[];
  readonly stacks: CloudLayerStack[];
  readonly edgeSites: { environment: string; layer: string; files: ReturnType<typeof edgeSiteBundle> }[];
}

export function buildInfra(app: App, names: string[]): Infra {
  const stacks: CloudLayerStack[] = [];
  const shared = new Map<string, { stack: SharedCloudStack; bucket: string }>();
  const edgeSites: { environment: string; layer: string; files: ReturnType<typeof edgeSiteBundle> }[] = [];
  for (const name of names) {
    const env = getEnvironment(name);
    if (env.cloud && env.layers.some((l) => l.cluster.kind === 'gke')) {
      const id = `shared-${env.cloud.project}`;
      const bucket = modelBucketName(env, env.cloud);
      const existing = shared.get(id);
      if (existing && existing.bucket !== bucket)
        throw new Error(`environment "${env.name}": model bucket ${bucket} differs from ${existing.bucket}, the bucket of project ${env.cloud.project}`);
      if (!existing) shared.set(id, { stack: new SharedCloudStack(app, id, { cloud: env.cloud, modelBucket: bucket }), bucket });
    }
    for (const layer of env.layers) {
      if (layer.cluster.kind === 'gke')
        stacks.push(new CloudLayerStack(app, `${env.name}-${layer.name}`, { environment: env, layer, edgeCidrs: edgeCidrsOf(env) }));
      if (layer.cluster.kind === 'on-prem') edgeSites.push({ environment: env.name, layer: layer.name, files: edgeSiteBundle(env, layer) });
    }
  }
  return { shared: [...shared.values()].map((s) => s.stack), stacks, edgeSites };
}

export function writeEdgeSites(sites: Infra['edgeSites'], outroot: string): void {
  for (const site of sites) {
    const dir = path.join(outroot, site.environment, site.layer);
    fs.rmSync(dir, { recursive: true, force: true });
    for (const [rel, file] of Object.entries(site.files)) {
      const target = path.join(dir, rel);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, file.content, { mode: file.mode ?? 0o644 });
    }
  }
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const app = new App();
  const { shared, stacks, edgeSites } = buildInfra(app, args.length > 0 ? args : listEnvironments());
  app.synth();
  writeEdgeSites(edgeSites, path.join('dist', 'edge-site'));
  console.log(`terraform stacks in ${app.outdir}/stacks: ${[...shared, ...stacks].map((s) => s.node.id).join(', ')}`);
  console.log(`edge sites in dist/edge-site: ${edgeSites.map((s) => `${s.environment}/${s.layer}`).join(', ')}`);
}
