import 'cdktf/lib/testing/adapters/jest';
import { ComputeAddress } from '@cdktf/provider-google/lib/compute-address';
import { ComputeFirewall } from '@cdktf/provider-google/lib/compute-firewall';
import { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork';
import { ContainerCluster } from '@cdktf/provider-google/lib/container-cluster';
import { ContainerNodePool } from '@cdktf/provider-google/lib/container-node-pool';
import { ArtifactRegistryRepository } from '@cdktf/provider-google/lib/artifact-registry-repository';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { Testing } from 'cdktf';
import { getEnvironment, kafkaAddressName, listEnvironments, parseEnvironment } from '../../environments';
import { paperHa } from '../../environments/paper-ha';
import { CloudLayerStack } from '../../infra/cloud-layer-stack';
import { buildInfra, edgeCidrsOf } from '../../infra/main';
import { SharedCloudStack } from '../../infra/shared-cloud-stack';
import { TERRAFORM } from '../../contracts/versions';

Testing.setupJest();

function cloudStack(name: string, env = getEnvironment(name)) {
  const app = Testing.app();
  const layer = env.layers.find((l) => l.cluster.kind === 'gke')!;
  const stack = new CloudLayerStack(app, `${env.name}-cloud`, { environment: env, layer, edgeCidrs: edgeCidrsOf(env) });
  return { stack, synth: Testing.synth(stack), json: JSON.parse(Testing.synth(stack)) };
}

describe('CloudLayerStack', () => {
  test('paper HA cloud: 3 nodes of 2 vCPU / 4 GB in europe-west1 (6 vCPU, 12 GB in all)', () => {
    const { synth } = cloudStack('paper-ha-p2');
    expect(synth).toHaveProviderWithProperties(GoogleProvider, { project: 'continuum-ddnn', region: 'europe-west1' });
    expect(synth).toHaveResourceWithProperties(ContainerNodePool, {
      node_count: 3,
      node_config: expect.objectContaining({ machine_type: 'e2-custom-2-4096', labels: { 'ddnn.dev/layer': 'cloud' } }),
    });
    expect(synth).toHaveResourceWithProperties(ContainerCluster, {
      location: 'europe-west1-b',
      remove_default_node_pool: true,
      datapath_provider: 'ADVANCED_DATAPATH',
      release_channel: { channel: TERRAFORM.gkeReleaseChannel },
    });
  });

  test('a custom VPC with a subnet and secondary ranges for pods and services', () => {
    const { synth } = cloudStack('paper-simple');
    expect(synth).toHaveResourceWithProperties(ComputeNetwork, { auto_create_subnetworks: false });
    expect(synth).toHaveResourceWithProperties(ComputeSubnetwork, {
      ip_cidr_range: '10.20.0.0/20',
      secondary_ip_range: [
        { range_name: 'pods', ip_cidr_range: '10.24.0.0/14' },
        { range_name: 'services', ip_cidr_range: '10.28.0.0/20' },
      ],
    });
  });

  test('one static address per broker, named as the broker Services annotate them', () => {
    const { json } = cloudStack('paper-ha-p4');
    const names = Object.values(json.resource.google_compute_address).map((a: any) => a.name);
    expect(names).toEqual([0, 1, 2].map((i) => kafkaAddressName('paper-ha-p4', 'cloud', i)));
  });

  test('the firewall opens only the Kafka WAN port, only to the edge networks', () => {
    const { synth, json } = cloudStack('paper-ha-p1');
    expect(synth).toHaveResourceWithProperties(ComputeFirewall, {
      direction: 'INGRESS',
      source_ranges: ['192.0.2.0/24'],
      allow: [{ protocol: 'tcp', ports: ['9094'] }],
    });
    expect(Object.keys(json.resource.google_compute_firewall)).toHaveLength(1);
  });

  test('cloud-only admits the declared device ranges', () => {
    const { synth } = cloudStack('cloud-only');
    expect(synth).toHaveResourceWithProperties(ComputeFirewall, { source_ranges: ['192.0.2.0/24'] });
  });

  test('local state by default, a GCS backend when stateBucket is set', () => {
    expect(cloudStack('paper-simple').json.terraform.backend).toEqual({ local: { path: 'terraform.paper-simple-cloud.tfstate' } });
    const env = parseEnvironment({ ...paperHa(1), cloud: { project: 'p', region: 'europe-west1', zone: 'europe-west1-b', stateBucket: 'tf-state' } });
    expect(cloudStack('paper-ha-p1', env).json.terraform.backend).toEqual({ gcs: { bucket: 'tf-state', prefix: 'continuum-ddnn/paper-ha-p1' } });
  });

  test('the provider version comes from contracts/versions.ts', () => {
    expect(cloudStack('paper-simple').json.terraform.required_providers.google).toEqual(TERRAFORM.googleProvider);
  });

  test('refuses a layer that is not on GKE', () => {
    const env = getEnvironment('paper-simple');
    expect(() => new CloudLayerStack(Testing.app(), 'x', { environment: env, layer: env.layers[0], edgeCidrs: ['10.0.0.0/8'] })).toThrow(
      /layer "edge" is not a GKE layer/,
    );
  });

  test('matches the snapshot', () => {
    expect(cloudStack('paper-ha-p2').synth).toMatchSnapshot();
  });
});

describe('SharedCloudStack and the infra app', () => {
  test('one shared registry + model bucket per project, named after the environments\' model URL', () => {
    const app = Testing.app();
    const infra = buildInfra(app, listEnvironments());
    expect(infra.shared).toHaveLength(1);
    const synth = Testing.synth(infra.shared[0] as SharedCloudStack);
    expect(synth).toHaveResourceWithProperties(ArtifactRegistryRepository, { repository_id: 'ddnn', format: 'DOCKER', location: 'europe-west1' });
    expect(synth).toHaveResourceWithProperties(StorageBucket, { name: 'continuum-ddnn-models', uniform_bucket_level_access: true });
    expect(synth).toHaveResourceWithProperties(StorageBucketIamMember, { member: 'allUsers', role: 'roles/storage.objectViewer' });
    expect(infra.stacks.map((s) => s.node.id)).toEqual([
      'paper-simple-cloud',
      'paper-ha-p1-cloud',
      'paper-ha-p2-cloud',
      'paper-ha-p3-cloud',
      'paper-ha-p4-cloud',
      'cloud-only-cloud',
    ]);
    expect(infra.edgeSites.map((s) => `${s.environment}/${s.layer}`)).toEqual(['paper-simple/edge', 'paper-ha-p1/edge', 'paper-ha-p2/edge', 'paper-ha-p3/edge', 'paper-ha-p4/edge']);
  });

  test('every stack has a ComputeAddress per cloud broker', () => {
    const app = Testing.app();
    for (const s of buildInfra(app, ['paper-ha-p3']).stacks) expect(Testing.synth(s)).toHaveResource(ComputeAddress);
  });
});
