/** route.ts during a rollout: a layer that serves several versions takes features of each, and only those. */
import type { SubModelManifest } from '../../contracts/manifest';
import { acceptRequest, type AcceptRules } from '../../runtime/worker/route';
import { DEFAULT_REPLY_TOPIC_PATTERN } from '../../runtime/worker/config';
import { encodeRequestHeaders, encodeTensor } from '../../runtime/wire';
import { consumedHeaders, wireErrorReason } from '../runtime/wire/helpers';

const cloud = (version: string, shape: number[]): SubModelManifest => ({
  formatVersion: 1, model: 'tiny', modelVersion: version, layer: 'cloud', index: 1,
  input: { shape, dtype: 'float32', scale: 1 }, outputs: [{ role: 'exit', name: 'e', classes: 3 }], next: null, modelFile: 'model.json',
});
const edge: SubModelManifest = {
  ...cloud('v1', [2, 2, 3]), layer: 'edge', index: 0, input: { shape: [2, 2, 3], dtype: 'uint8', scale: 1 / 255 },
  outputs: [{ role: 'features', name: 'f', shape: [4] }, { role: 'exit', name: 'e', classes: 3 }], next: 'cloud',
};
const v1 = cloud('v1', [4]);
const v2 = cloud('v2', [2, 2]); // another architecture: another features shape
const common = { replyTopicPattern: new RegExp(DEFAULT_REPLY_TOPIC_PATTERN), forbiddenReplyTopics: new Set<string>(), maxHeaders: 16, maxHeaderBytes: 4096 };
const meta = { requestId: 'r-1', deviceId: 'dev-1', replyTopic: 'ddnn.replies.dev-1', createdAt: 1000, hops: [] };
const features = (shape: number[]) => encodeTensor(Float32Array.from([1, 2, 3, 4]), shape, 'float32');
const headers = (modelVersion?: string) => consumedHeaders(encodeRequestHeaders({ ...meta, ...(modelVersion ? { modelVersion } : {}) }));

describe('version routing', () => {
  const both: AcceptRules = { ...common, manifest: v1, served: new Map([['v1', v1], ['v2', v2]]) };

  test("features go to the version that produced them, checked against that version's input", () => {
    expect(acceptRequest(features([4]), headers('v1'), both, 0).manifest).toBe(v1);
    expect(acceptRequest(features([2, 2]), headers('v2'), both, 0).manifest).toBe(v2);
    expect(wireErrorReason(() => acceptRequest(features([4]), headers('v2'), both, 0))).toBe('wrong-input');
  });

  test('a version the layer does not serve, or none, is a model-version-mismatch naming what it serves', () => {
    expect(wireErrorReason(() => acceptRequest(features([4]), headers('v3'), both, 0))).toBe('model-version-mismatch');
    expect(() => acceptRequest(features([4]), headers('v3'), both, 0)).toThrow('features from model version v3; this layer serves v1, v2');
    expect(() => acceptRequest(features([4]), headers(), both, 0)).toThrow('features from model version (none); this layer serves v1, v2');
    // once v2 is retired it is refused
    const v1Only: AcceptRules = { ...common, manifest: v1, served: new Map([['v1', v1]]) };
    expect(wireErrorReason(() => acceptRequest(features([2, 2]), headers('v2'), v1Only, 0))).toBe('model-version-mismatch');
  });

  test('the first layer serves raw images with its active version, whatever they carry', () => {
    const edge2 = { ...edge, modelVersion: 'v2' };
    const rules: AcceptRules = { ...common, manifest: edge2, served: new Map([['v1', edge], ['v2', edge2]]) };
    const image = encodeTensor(new Uint8Array(12), [2, 2, 3], 'uint8');
    expect(acceptRequest(image, headers(), rules, 0).manifest).toBe(edge2);
    expect(acceptRequest(image, headers('v1'), rules, 0).manifest).toBe(edge2);
  });
});
