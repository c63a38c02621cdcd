/** The registry reference on an InferenceLayer (issue 12): the model version is part of the synthesized manifests. */
import { Testing } from 'cdk8s';
import { InferenceLayer } from '../../constructs/k8s/inference-layer';
import { WORKER_ENV } from '../../contracts/worker-env';
import { clusterWithTopics, find } from '../constructs/fixtures';
import { type Manifest, envOf } from '../constructs/manifest-checks';

function synth(extra: Partial<ConstructorParameters<typeof InferenceLayer>[2]>) {
  const { chart, topics } = clusterWithTopics([{ name: 'in', partitions: 2 }, { name: 'in.dlq' }, { name: 'replies' }]);
  new InferenceLayer(chart, 'cloud', {
    name: 'ddnn-worker', layer: 'cloud', image: 'registry.example/ddnn/worker:0.1.0', topics,
    inputTopic: 'in', deadLetterTopic: 'in.dlq', reply: { topic: 'replies' }, ...extra,
  });
  const objects: Manifest[] = Testing.synth(chart);
  return find(objects, 'Deployment', 'ddnn-worker');
}

const registry = { model: 'compact-branchynet', version: '3f5591334d92d89a', location: 'https://storage.googleapis.com/p-ddnn-models/compact-branchynet/' };

describe('registry reference', () => {
  test('annotates the Deployment and its pods with model, version and registry; the worker loads <location>/<version>/<layer>', () => {
    const d = synth({ registry });
    const annotations = { 'ddnn.io/model': 'compact-branchynet', 'ddnn.io/model-version': '3f5591334d92d89a', 'ddnn.io/model-registry': registry.location };
    expect(d.metadata.annotations).toEqual(annotations);
    expect(d.spec.template.metadata.annotations).toEqual(annotations);
    expect(envOf(d.spec.template.spec.containers[0])[WORKER_ENV.model]).toBe('https://storage.googleapis.com/p-ddnn-models/compact-branchynet/3f5591334d92d89a/cloud');
  });

  test('an explicit modelLocation wins; without either the construct refuses; a bad version is named', () => {
    expect(envOf(synth({ registry, modelLocation: 'https://m.example/cloud' }).spec.template.spec.containers[0])[WORKER_ENV.model]).toBe('https://m.example/cloud');
    expect(synth({ modelLocation: 'https://m.example/cloud' }).metadata.annotations).toBeUndefined();
    expect(() => synth({})).toThrow('InferenceLayer cloud: give modelLocation or registry');
    expect(() => synth({ registry: { ...registry, version: 'a b' } })).toThrow('registry.version (a b) is not a model version');
  });
});
