import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdktf';
import { parse } from 'yaml';
import { K3S_VERSION, KUBERNETES_VERSION } from '../../contracts/versions';
import { getEnvironment, parseEnvironment } from '../../environments';
import { paperHa } from '../../environments/paper-ha';
import { K3S_TOKEN_FILE, edgeSiteBundle } from '../../infra/edge-site';
import { buildInfra, writeEdgeSites } from '../../infra/main';

const edgeOf = (env = getEnvironment('paper-ha-p2')) => ({ env, layer: env.layers.find((l) => l.name === 'edge')! });

describe('edgeSiteBundle', () => {
  test('one k3s config per node, labelled with the layer, the token read from a file', () => {
    const { env, layer } = edgeOf();
    const files = edgeSiteBundle(env, layer);
    expect(Object.keys(files).sort()).toEqual(['README.md', 'bootstrap.sh', 'join-federation.sh', 'nodes/edge-1/config.yaml', 'nodes/edge-2/config.yaml', 'nodes/edge-3/config.yaml']);
    const server = parse(files['nodes/edge-1/config.yaml'].content);
    expect(server).toMatchObject({
      'node-name': 'edge-1',
      'node-label': ['ddnn.dev/layer=edge', 'ddnn.dev/environment=paper-ha-p2'],
      'token-file': K3S_TOKEN_FILE,
      disable: ['traefik', 'servicelb'],
      'secrets-encryption': true,
    });
    expect(server.token).toBeUndefined();
    const agent = parse(files['nodes/edge-2/config.yaml'].content);
    expect(agent).toMatchObject({ server: 'https://192.0.2.11:6443', 'node-ip': '192.0.2.12' });
  });

  test('k3s runs the Kubernetes minor the manifests target', () => {
    expect(K3S_VERSION.startsWith(`v${KUBERNETES_VERSION}.`)).toBe(true);
  });

  test('the bootstrap script pins k3s and knows each node\'s role', () => {
    const { env, layer } = edgeOf();
    const script = edgeSiteBundle(env, layer)['bootstrap.sh'];
    expect(script.mode).toBe(0o755);
    expect(script.content).toContain(`INSTALL_K3S_VERSION='${K3S_VERSION}'`);
    expect(script.content).toMatch(/edge-1\) role=server ;;/);
    expect(script.content).toMatch(/edge-3\) role=agent ;;/);
  });

  test('the federation join follows the engine: kubefedctl join (push) or karmadactl register (pull)', () => {
    const { env, layer } = edgeOf();
    expect(edgeSiteBundle(env, layer)['join-federation.sh'].content).toContain('kubefedctl join edge');
    const karmada = edgeOf(parseEnvironment({ ...paperHa(2), federation: { engine: 'karmada' } }));
    expect(edgeSiteBundle(karmada.env, karmada.layer)['join-federation.sh'].content).toContain('karmadactl register');
  });

  test('several servers form an embedded-etcd quorum', () => {
    const input = paperHa(3);
    const edge = input.layers[0];
    const nodes = [
      { name: 'a', address: '10.0.0.1', role: 'server' as const },
      { name: 'b', address: '10.0.0.2', role: 'server' as const },
      { name: 'c', address: '10.0.0.3', role: 'server' as const },
    ];
    const env = parseEnvironment({ ...input, layers: [{ ...edge, cluster: { kind: 'on-prem', nodes, egressCidrs: ['10.0.0.0/24'] } }, input.layers[1]] });
    const files = edgeSiteBundle(env, env.layers[0]);
    expect(parse(files['nodes/a/config.yaml'].content)['cluster-init']).toBe(true);
    expect(parse(files['nodes/b/config.yaml'].content).server).toBe('https://10.0.0.1:6443');
  });

  test('refuses a layer that is not on-prem', () => {
    const env = getEnvironment('paper-simple');
    expect(() => edgeSiteBundle(env, env.layers[1])).toThrow(/not on-prem/);
  });
});

describe('writeEdgeSites', () => {
  test('writes each site under <env>/<layer> with executable scripts', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ddnn-edge-'));
    try {
      writeEdgeSites(buildInfra(new App({ outdir: out }), ['paper-simple']).edgeSites, out);
      const site = path.join(out, 'paper-simple', 'edge');
      expect(fs.readdirSync(site).sort()).toEqual(['README.md', 'bootstrap.sh', 'join-federation.sh', 'nodes']);
      expect(fs.statSync(path.join(site, 'bootstrap.sh')).mode & 0o111).not.toBe(0);
      expect(fs.readdirSync(path.join(site, 'nodes'))).toEqual(['edge-1']);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
