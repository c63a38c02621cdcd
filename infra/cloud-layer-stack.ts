/**
 * The cloud layer of one environment on Google Cloud: a VPC and subnet, a GKE cluster with its own node pool
 * (Dataplane V2, so the manifests' NetworkPolicies are enforced), static addresses for the Kafka brokers' WAN
 * listeners and a firewall opening only those listeners to the edge networks, and read access to the project's
 * worker registry and model bucket (infra/shared-cloud-stack.ts). State goes to a GCS bucket when one is configured.
 */
import { ArtifactRegistryRepositoryIamMember } from '@cdktf/provider-google/lib/artifact-registry-repository-iam-member';
import { ComputeAddress } from '@cdktf/provider-google/lib/compute-address';
import { ComputeFirewall } from '@cdktf/provider-google/lib/compute-firewall';
import { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork';
import { ContainerCluster } from '@cdktf/provider-google/lib/container-cluster';
import { ContainerNodePool } from '@cdktf/provider-google/lib/container-node-pool';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { GcsBackend, LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { KAFKA_PORTS } from '../contracts/kafka/ports';
import { TERRAFORM } from '../contracts/versions';
import { WORKER_REPOSITORY_ID, modelBucketName } from './shared-cloud-stack';
import { type Environment, type LayerSpec, cloudResourcePrefix, kafkaAddressName } from '../environments';

export interface CloudLayerStackProps {
  readonly environment: Environment;
  /** The GKE layer this stack provisions. */
  readonly layer: LayerSpec;
  /** Where the other layers' traffic comes from: the only sources the Kafka WAN listeners admit. */
  readonly edgeCidrs: string[];
}


export class CloudLayerStack extends TerraformStack {
  readonly cluster: ContainerCluster;
  readonly kafkaAddresses: ComputeAddress[];

  constructor(scope: Construct, id: string, props: CloudLayerStackProps) {
    super(scope, id);
    const { environment: env, layer } = props;
    const cloud = env.cloud;
    if (!cloud) throw new Error(`CloudLayerStack ${id}: environment "${env.name}" has no cloud settings`);
    if (layer.cluster.kind !== 'gke') throw new Error(`CloudLayerStack ${id}: layer "${layer.name}" is not a GKE layer`);
    if (props.edgeCidrs.length === 0) throw new Error(`CloudLayerStack ${id}: edgeCidrs must name at least one range`);
    const gke = layer.cluster;
    const prefix = cloudResourcePrefix(env.name, layer.name);
    const labels = { 'ddnn-environment': env.name, 'ddnn-layer': layer.name, 'managed-by': 'cdktf' };

    if (cloud.stateBucket) new GcsBackend(this, { bucket: cloud.stateBucket, prefix: `continuum-ddnn/${env.name}` });
    else new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    this.addOverride('terraform.required_providers.google', { source: TERRAFORM.googleProvider.source, version: TERRAFORM.googleProvider.version });
    new GoogleProvider(this, 'google', { project: cloud.project, region: cloud.region, zone: cloud.zone });

    const network = new ComputeNetwork(this, 'network', { name: `${prefix}-vpc`, autoCreateSubnetworks: false });
    const subnet = new ComputeSubnetwork(this, 'subnet', {
      name: `${prefix}-nodes`,
      network: network.id,
      region: cloud.region,
      ipCidrRange: cloud.networkCidr,
      privateIpGoogleAccess: true,
      secondaryIpRange: [
        { rangeName: 'pods', ipCidrRange: cloud.podCidr },
        { rangeName: 'services', ipCidrRange: cloud.serviceCidr },
      ],
    });

    const nodeSa = new ServiceAccount(this, 'node-sa', { accountId: `${prefix}-nodes`.slice(0, 30).replace(/-+$/, ''), displayName: `GKE nodes of ${env.name}/${layer.name}` });
    for (const role of ['roles/logging.logWriter', 'roles/monitoring.metricWriter', 'roles/monitoring.viewer']) {
      new ProjectIamMember(this, `node-sa-${role.split('/')[1]}`, { project: cloud.project, role, member: `serviceAccount:${nodeSa.email}` });
    }

    const nodeTag = `${prefix}-node`;
    this.cluster = new ContainerCluster(this, 'cluster', {
      name: prefix,
      location: cloud.zone,
      network: network.id,
      subnetwork: subnet.id,
      // The default pool cannot be configured; a separate pool can be resized and replaced on its own.
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      releaseChannel: { channel: TERRAFORM.gkeReleaseChannel },
      ipAllocationPolicy: { clusterSecondaryRangeName: 'pods', servicesSecondaryRangeName: 'services' },
      // Dataplane V2 enforces NetworkPolicies.
      datapathProvider: 'ADVANCED_DATAPATH',
      workloadIdentityConfig: { workloadPool: `${cloud.project}.svc.id.goog` },
      resourceLabels: labels,
      deletionProtection: true,
    });

    new ContainerNodePool(this, 'nodes', {
      name: `${layer.name}-pool`,
      cluster: this.cluster.id,
      location: cloud.zone,
      nodeCount: gke.nodes,
      management: { autoRepair: true, autoUpgrade: true },
      nodeConfig: {
        machineType: gke.machineType,
        diskSizeGb: gke.diskSizeGb,
        serviceAccount: nodeSa.email,
        oauthScopes: ['https://www.googleapis.com/auth/cloud-platform'],
        labels: { 'ddnn.dev/layer': layer.name },
        tags: [nodeTag],
        workloadMetadataConfig: { mode: 'GKE_METADATA' },
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
      },
    });

    this.kafkaAddresses = Array.from(
      { length: layer.kafka.brokers },
      (_, i) => new ComputeAddress(this, `kafka-${i}-address`, { name: kafkaAddressName(env.name, layer.name, i), region: cloud.region, addressType: 'EXTERNAL', labels }),
    );
    const external = layer.kafka.external;
    const wanPort = external.type === 'LoadBalancer' ? external.port : KAFKA_PORTS.wan;
    new ComputeFirewall(this, 'kafka-wan', {
      name: `${prefix}-kafka-wan`,
      network: network.id,
      direction: 'INGRESS',
      description: 'Kafka WAN listeners, open to the edge networks only',
      sourceRanges: props.edgeCidrs,
      targetTags: [nodeTag],
      // LoadBalancer Services with externalTrafficPolicy Local deliver to the broker's port on the node.
      allow: [{ protocol: 'tcp', ports: [...new Set([wanPort, KAFKA_PORTS.wan])].map(String) }],
    });

    // Registry and model bucket are per project (infra/shared-cloud-stack.ts); this layer's nodes may read them.
    new ArtifactRegistryRepositoryIamMember(this, 'registry-nodes', {
      repository: WORKER_REPOSITORY_ID,
      location: cloud.region,
      role: 'roles/artifactregistry.reader',
      member: `serviceAccount:${nodeSa.email}`,
    });
    new StorageBucketIamMember(this, 'models-nodes', {
      bucket: modelBucketName(env, cloud),
      role: 'roles/storage.objectViewer',
      member: `serviceAccount:${nodeSa.email}`,
    });

    new TerraformOutput(this, 'cluster_endpoint', { value: this.cluster.endpoint, sensitive: true });
    new TerraformOutput(this, 'cluster_name', { value: this.cluster.name });
    new TerraformOutput(this, 'kafka_external_addresses', {
      value: this.kafkaAddresses.map((a) => a.address),
      description: 'Point the brokers\' advertised host names (environment kafka.external.hostPattern) at these, in order',
    });
  }
}
