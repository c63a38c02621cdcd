/**
 * What an operator needs to bring an on-prem layer (the paper's edge: a few heterogeneous computers) up as a
 * Kubernetes cluster and join it to the continuum. There is no cloud API to drive on-prem machines, so instead of
 * Terraform with SSH provisioners (credentials in state, brittle) this synthesizes a small bundle:
 * - k3s (one binary, x86 and ARM, embedded network-policy controller, so the manifests' NetworkPolicies hold),
 *   pinned in constructs/versions.ts, one `config.yaml` per node with the layer's node labels;
 * - `bootstrap.sh <node>` installing k3s with that config; the join token is read from a file the operator
 *   creates, never written into the bundle;
 * - `join-federation.sh` registering the cluster with the KubeFed host or Karmada (pull mode: the edge dials out,
 *   which works behind NAT).
 * Pure: returns file contents by relative path; infra/main.ts writes them.
 */
import { stringify } from 'yaml';
import { K3S_VERSION } from '../contracts/versions';
import type { Environment, LayerSpec, OnPremNode } from '../environments';

export interface EdgeSiteFile {
  readonly content: string;
  /** @default 0o644 */
  readonly mode?: number;
}

export const K3S_TOKEN_FILE = '/etc/rancher/k3s/ddnn-token';

export function edgeSiteBundle(env: Environment, layer: LayerSpec): Record<string, EdgeSiteFile> {
  const c = layer.cluster;
  if (c.kind !== 'on-prem') throw new Error(`edgeSiteBundle: layer "${layer.name}" of ${env.name} is not on-prem (cluster.kind ${c.kind})`);
  const servers = c.nodes.filter((n) => n.role === 'server');
  const first = servers[0];
  if (!first) throw new Error(`edgeSiteBundle: layer "${layer.name}" needs a node with role "server"`);
  const names = new Set<string>();
  for (const n of c.nodes) {
    if (names.has(n.name)) throw new Error(`edgeSiteBundle: node name "${n.name}" is used twice in layer "${layer.name}"`);
    names.add(n.name);
  }
  const labels = [`ddnn.dev/layer=${layer.name}`, `ddnn.dev/environment=${env.name}`];
  const files: Record<string, EdgeSiteFile> = {};

  for (const node of c.nodes) files[`nodes/${node.name}/config.yaml`] = { content: stringify(k3sConfig(node, first, servers.length, labels)) };
  files['bootstrap.sh'] = { content: bootstrapScript(env, layer, c.nodes), mode: 0o755 };
  files['join-federation.sh'] = { content: joinScript(env, layer), mode: 0o755 };
  files['README.md'] = { content: readme(env, layer, c.nodes) };
  return files;
}

function k3sConfig(node: OnPremNode, first: OnPremNode, serverCount: number, labels: string[]): Record<string, unknown> {
  const common = {
    'node-name': node.name,
    'node-ip': node.address,
    'node-label': labels,
    'token-file': K3S_TOKEN_FILE,
  };
  if (node.role === 'agent') return { ...common, server: `https://${first.address}:6443` };
  return {
    ...common,
    // Several servers form an embedded-etcd quorum; one server keeps k3s's SQLite datastore.
    ...(serverCount > 1 ? (node === first ? { 'cluster-init': true } : { server: `https://${first.address}:6443` }) : {}),
    'tls-san': [node.address],
    // Kafka's WAN listeners use NodePorts; no ingress controller or service load balancer is needed.
    disable: ['traefik', 'servicelb'],
    'write-kubeconfig-mode': '0600',
    'secrets-encryption': true,
  };
}

function bootstrapScript(env: Environment, layer: LayerSpec, nodes: OnPremNode[]): string {
  return `#!/usr/bin/env bash
# Installs k3s ${K3S_VERSION} on one node of the ${layer.name} layer (${env.name}) with its synthesized config.
# Usage (as root, on the node): ./bootstrap.sh <node-name>
# The cluster join token must already be in ${K3S_TOKEN_FILE} (same file on every node; generate it once with
# e.g. \`openssl rand -hex 32\`). It is never part of this bundle.
set -euo pipefail
node="\${1:?usage: $0 <node-name>}"
here="$(cd "$(dirname "$0")" && pwd)"
config="$here/nodes/$node/config.yaml"
[ -f "$config" ] || { echo "no config for node '$node' (have: $(ls "$here/nodes" | tr '\\n' ' '))" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 1; }
[ -s ${K3S_TOKEN_FILE} ] || { echo "put the cluster token in ${K3S_TOKEN_FILE} first" >&2; exit 1; }
chmod 600 ${K3S_TOKEN_FILE}
install -D -m 600 "$config" /etc/rancher/k3s/config.yaml
case "$node" in
${nodes.map((n) => `  ${n.name}) role=${n.role} ;;`).join('\n')}
esac
curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION='${K3S_VERSION}' INSTALL_K3S_EXEC="$role" sh -
echo "k3s $role '$node' installed; check with: kubectl get nodes -l ddnn.dev/layer=${layer.name}"
`;
}

function joinScript(env: Environment, layer: LayerSpec): string {
  const engine = env.federation.engine;
  const body =
    engine === 'kubefed'
      ? `# KubeFed (push): the host cluster's controller calls this cluster's API server.
: "\${HOST_CONTEXT:?set HOST_CONTEXT to the kubeconfig context of the KubeFed host cluster}"
: "\${EDGE_CONTEXT:?set EDGE_CONTEXT to the kubeconfig context of this ${layer.name} cluster}"
kubefedctl join ${layer.name} --cluster-context "$EDGE_CONTEXT" --host-cluster-context "$HOST_CONTEXT" --v=2`
      : engine === 'karmada'
        ? `# Karmada (pull): karmada-agent in this cluster dials the Karmada API server, so NAT in front of the site is fine.
: "\${KARMADA_APISERVER:?set KARMADA_APISERVER to host:port of the Karmada API server}"
: "\${KARMADA_TOKEN:?set KARMADA_TOKEN (karmadactl token create --print-register-command)}"
: "\${KARMADA_CA_HASH:?set KARMADA_CA_HASH (sha256:… from the same command)}"
karmadactl register "$KARMADA_APISERVER" --token "$KARMADA_TOKEN" --discovery-token-ca-cert-hash "$KARMADA_CA_HASH" --cluster-name ${layer.name}`
        : `echo "environment ${env.name} is not federated (federation.engine none): apply dist/manifests/${env.name}/${layer.name} directly"`;
  return `#!/usr/bin/env bash
# Registers the ${layer.name} cluster of ${env.name} with the federation control plane (engine: ${engine}).
# Run from a machine whose kubeconfig reaches both clusters; credentials come from your environment, never from here.
set -euo pipefail
${body}
`;
}

function readme(env: Environment, layer: LayerSpec, nodes: OnPremNode[]): string {
  return `# ${layer.name} site of ${env.name}

Brings the on-prem ${layer.name} cluster up with k3s ${K3S_VERSION} and joins it to the continuum.

| node | address | role |
| --- | --- | --- |
${nodes.map((n) => `| ${n.name} | ${n.address} | ${n.role} |`).join('\n')}

1. On every node, put the same random token in \`${K3S_TOKEN_FILE}\` (mode 600).
2. Run \`./bootstrap.sh <node>\` as root on the server node(s) first, then on the agents.
3. Create the Secrets listed in \`dist/manifests/${env.name}/${layer.name}/REQUIRED-SECRETS.md\`, then
   \`kubectl apply -f dist/manifests/${env.name}/${layer.name}/\`.
4. \`./join-federation.sh\` registers the cluster with the federation (${env.federation.engine}).

Nodes carry the labels \`ddnn.dev/layer=${layer.name}\` and \`ddnn.dev/environment=${env.name}\`.
`;
}
