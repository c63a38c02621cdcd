/**
 * The README's "Use the constructs in your own chart" example, run as written: its `continuum-ddnn` import is
 * resolved by Node through package.json `exports` (condition `source` → constructs/index.ts, run by tsx), as a
 * user's chart resolves the package, and what it synthesizes must pass the manifest checks the environments pass.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { type Manifest, referenceProblems, schemaErrors, topicsCreated } from './manifest-checks';

const root = path.join(__dirname, '../..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('### Use the constructs in your own chart'));
const example = /```ts\n([\s\S]*?)```/.exec(section)![1];

describe("README: use the constructs in your own chart", () => {
  // Inside the package, so that `continuum-ddnn` is a self-reference; .cache/ is git-ignored.
  const work = path.join(root, '.cache', 'readme-example');
  const outdir = path.join(work, 'dist');
  let objects: Manifest[];

  beforeAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work, { recursive: true });
    fs.writeFileSync(path.join(work, 'own-chart.ts'), example);
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'own-chart.ts'], {
      cwd: work,
      env: { ...process.env, CDK8S_OUTDIR: outdir },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.status !== 0) throw new Error(`the README example failed (exit ${r.status}):\n${r.stderr}`);
    objects = fs
      .readdirSync(outdir)
      .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(outdir, f), 'utf8')).map((d) => d.toJSON() as Manifest))
      .filter(Boolean);
  });

  test('is at most 25 lines and imports only the package entry point and cdk8s', () => {
    expect(example.trimEnd().split('\n').length).toBeLessThanOrEqual(25);
    const imports = [...example.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports.sort()).toEqual(['cdk8s', 'continuum-ddnn']);
  });

  test('synthesizes a broker StatefulSet, the topics Job, the workers and MirrorMaker 2', () => {
    const kinds = objects.map((o) => o.kind);
    expect(kinds).toEqual(expect.arrayContaining(['StatefulSet', 'Job', 'Deployment', 'ConfigMap', 'Service', 'PodDisruptionBudget']));
    expect(objects.filter((o) => o.kind === 'Deployment')).toHaveLength(2);
    expect([...topicsCreated(objects).keys()].sort()).toEqual(['answers', 'features', 'requests', 'requests.dlq']);
  });

  test('every object is valid against the Kubernetes schema and every reference resolves', () => {
    expect(objects.flatMap(schemaErrors)).toEqual([]);
    expect(referenceProblems(objects)).toEqual([]);
  });

  test('names derive from construct ids: no two objects of a kind share a name', () => {
    const ids = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(objects.find((o) => o.kind === 'StatefulSet')!.metadata.name).toMatch(/^edge-kafka-[0-9a-f]{8}$/);
  });
});
