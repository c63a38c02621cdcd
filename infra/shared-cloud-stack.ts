/**
 * What every environment in one Google Cloud project shares: the Artifact Registry repository the worker image
 * (runtime/Dockerfile) is pushed to, and the bucket holding the partitioned model artifacts. Kept out of the
 * per-environment stacks so that several experiments can be deployed side by side.
 */
import { ArtifactRegistryRepository } from '@cdktf/provider-google/lib/artifact-registry-repository';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { GcsBackend, LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { TERRAFORM } from '../contracts/versions';
import type { CloudSpec, Environment } from '../environments';

/** Repository id of the worker images (environments' workerImage.repository ends in `<region>-docker.pkg.dev/<project>/ddnn/worker`). */
export const WORKER_REPOSITORY_ID = 'ddnn';

/** Bucket holding the model artifacts: taken from the environment's model URL when it points at GCS. */
export function modelBucketName(env: Environment, cloud: CloudSpec): string {
  const m = /^(?:https:\/\/storage\.googleapis\.com\/|gs:\/\/)([a-z0-9._-]+)\//.exec(env.model.location);
  return m ? m[1] : `${cloud.project}-ddnn-models`;
}

export interface SharedCloudStackProps {
  readonly cloud: CloudSpec;
  readonly modelBucket: string;
  /**
   * Let anyone read the model artifacts over HTTPS. Workers load tfjs models by URL on every layer and an on-prem
   * edge has no Google identity; the weights are published artifacts (as the paper's were). @default true
   */
  readonly publicModels?: boolean;
}

export class SharedCloudStack extends TerraformStack {
  readonly repository: ArtifactRegistryRepository;
  readonly modelBucket: StorageBucket;

  constructor(scope: Construct, id: string, props: SharedCloudStackProps) {
    super(scope, id);
    const { cloud } = props;
    const labels = { 'ddnn-shared': 'true', 'managed-by': 'cdktf' };
    if (cloud.stateBucket) new GcsBackend(this, { bucket: cloud.stateBucket, prefix: 'continuum-ddnn/shared' });
    else new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    this.addOverride('terraform.required_providers.google', { source: TERRAFORM.googleProvider.source, version: TERRAFORM.googleProvider.version });
    new GoogleProvider(this, 'google', { project: cloud.project, region: cloud.region });

    this.repository = new ArtifactRegistryRepository(this, 'registry', {
      repositoryId: WORKER_REPOSITORY_ID,
      location: cloud.region,
      format: 'DOCKER',
      description: 'continuum-ddnn worker images (runtime/Dockerfile)',
      labels,
    });
    const publicModels = props.publicModels ?? true;
    this.modelBucket = new StorageBucket(this, 'models', {
      name: props.modelBucket,
      location: cloud.region.toUpperCase(),
      uniformBucketLevelAccess: true,
      versioning: { enabled: true },
      publicAccessPrevention: publicModels ? 'inherited' : 'enforced',
      labels,
    });
    if (publicModels)
      new StorageBucketIamMember(this, 'models-public', { bucket: this.modelBucket.name, role: 'roles/storage.objectViewer', member: 'allUsers' });

    new TerraformOutput(this, 'worker_image_repository', { value: `${cloud.region}-docker.pkg.dev/${cloud.project}/${WORKER_REPOSITORY_ID}` });
    new TerraformOutput(this, 'model_bucket', { value: this.modelBucket.url });
  }
}
