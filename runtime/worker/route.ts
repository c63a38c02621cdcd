/**
 * The worker's pure steps around predict: accept a record as a request for this sub-model (or say why not),
 * and turn one sample's model outputs into the record it causes — an answer to the device or a forward of
 * the features to the next layer.
 */
import type { SubModelManifest } from '../../contracts/manifest';
import {
  decodeRequestHeaders,
  decodeTensor,
  encodeAnswerHeaders,
  encodeRequestHeaders,
  encodeTensor,
  RawHeaders,
  RequestHeaders,
  WireError,
  WireTensor,
} from '../wire';
import type { SampleOutputs } from '../tf/sub-model';
import { headerBytes, type Headers } from './dead-letter';
import { decideExit, ExitPolicy } from './exit-policy';

export interface InboundRequest {
  headers: RequestHeaders;
  tensor: WireTensor;
  /** epoch ms when this worker took the record */
  inAt: number;
  /** the served version that takes it: the one its features came from, or the active one for a raw image */
  manifest?: SubModelManifest;
}

export interface AcceptRules {
  /** the active version's sub-model: serves records without a model version (raw images on the first layer) */
  manifest: SubModelManifest;
  /** the other versions this layer serves now (a rollout serves two at once); absent: only `manifest` */
  served?: ReadonlyMap<string, SubModelManifest>;
  /** set when answers go to one fixed topic: then the reply-topic header is not used for routing */
  answerTopic?: string;
  replyTopicPattern: RegExp;
  /** topics a request may never name as its reply topic (this worker's input, next and dead-letter topics) */
  forbiddenReplyTopics: ReadonlySet<string>;
  /** checked before anything is decoded, so a record with 10,000 headers costs a count, not a parse */
  maxHeaders: number;
  maxHeaderBytes: number;
}

/**
 * Screens a record before any decoding: header count and size. Throws WireError (→ dead-letter topic).
 * `headers` as kafkajs decodes them (repeated names as arrays, null for a header without a value).
 */
export function screenRecord(headers: Headers, rules: Pick<AcceptRules, 'maxHeaders' | 'maxHeaderBytes'>): void {
  const { count, bytes } = headerBytes(headers);
  if (count > rules.maxHeaders) throw new WireError('too-many-headers', `${count} headers, at most ${rules.maxHeaders} allowed`);
  if (bytes > rules.maxHeaderBytes) throw new WireError('headers-too-large', `${bytes} bytes of headers, at most ${rules.maxHeaderBytes} allowed`);
}

/**
 * Whether answers may go to `topic`: it must match the pattern, and it may never be an internal topic (`__…`),
 * a dead-letter topic, or a topic the continuum reads requests from — else one forged header makes a worker write
 * answers where other workers or Kafka itself read.
 */
export function replyTopicRefusal(topic: string, rules: Pick<AcceptRules, 'replyTopicPattern' | 'forbiddenReplyTopics'>): string | null {
  if (topic.startsWith('__')) return `reply topic "${topic}" is an internal topic`;
  if (rules.forbiddenReplyTopics.has(topic) || topic.endsWith('.dlq')) return `reply topic "${topic}" is an input or dead-letter topic of the continuum`;
  if (!rules.replyTopicPattern.test(topic)) return `reply topic "${topic}" is not allowed (must match ${rules.replyTopicPattern})`;
  return null;
}

/** Decodes a record and checks it fits this sub-model. Throws WireError (→ dead-letter topic) otherwise. */
export function acceptRequest(value: Buffer | null, rawHeaders: RawHeaders | undefined, rules: AcceptRules, inAt: number): InboundRequest {
  screenRecord((rawHeaders ?? {}) as Headers, rules);
  const headers = decodeRequestHeaders(rawHeaders, inAt);
  const tensor = decodeTensor(value);
  const manifest = servingManifest(headers.modelVersion, rules);
  const spec = manifest.input;
  if (!sameShape(tensor.shape, spec.shape)) {
    throw new WireError('wrong-input', `shape [${tensor.shape}] does not match the sub-model input [${spec.shape}]`);
  }
  // Floats may travel as float16 or float32 (a transport choice); raw images must stay uint8 and vice versa.
  if ((spec.dtype === 'uint8') !== (tensor.dtype === 'uint8')) {
    throw new WireError('wrong-input', `dtype ${tensor.dtype} does not match the sub-model input ${spec.dtype}`);
  }
  if (rules.answerTopic === undefined) {
    const refusal = replyTopicRefusal(headers.replyTopic, rules);
    if (refusal) throw new WireError('reply-topic-not-allowed', refusal);
  }
  return { headers, tensor, inAt, manifest };
}

/**
 * The sub-model version that serves a record. The first layer serves raw images with its active version (whatever
 * header they carry); a later layer serves features only with the version cut from the same weights, among the
 * versions it serves now, and dead-letters the rest (with the rollout's order, downstream first, that never happens).
 */
export function servingManifest(version: string | undefined, rules: Pick<AcceptRules, 'manifest' | 'served'>): SubModelManifest {
  if (rules.manifest.index === 0) return rules.manifest;
  if (version === rules.manifest.modelVersion) return rules.manifest;
  const other = version === undefined ? undefined : rules.served?.get(version);
  if (other) return other;
  const serving = rules.served ? [...rules.served.keys()] : [rules.manifest.modelVersion];
  throw new WireError('model-version-mismatch', `features from model version ${version ?? '(none)'}; this layer serves ${serving.join(', ')}`);
}

export interface RouteContext {
  manifest: SubModelManifest;
  policy: ExitPolicy;
  nextTopic?: string;
  answerTopic?: string;
  featuresDtype: 'float32' | 'float16' | 'int8';
  /** the micro-batch wait in force (recorded with the threshold and encoding on every record this layer writes) */
  batchWaitMs: number;
  /** predict time of the micro-batch */
  modelMs: number;
  /** epoch ms when the records are handed to the producer */
  outAt: number;
}

export interface OutboundRecord {
  destination: 'answer' | 'next';
  topic: string;
  /** the request id: keeps one request's records together and lets consumers deduplicate */
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export function routeSample(req: InboundRequest, out: SampleOutputs, ctx: RouteContext): OutboundRecord {
  const { manifest } = ctx;
  const hops = [...req.headers.hops, { layer: manifest.layer, inAt: req.inAt, outAt: ctx.outAt, modelMs: ctx.modelMs }];
  const applied = { layer: manifest.layer, threshold: ctx.policy.threshold, features: ctx.featuresDtype, batchWaitMs: ctx.batchWaitMs };
  const settings = [...(req.headers.settings ?? []), applied];
  const isLast = manifest.next === null || out.features === undefined;
  const exitSpec = manifest.outputs.find((o) => o.role === 'exit');

  if (out.exit && exitSpec) {
    const decision = decideExit(out.exit, ctx.policy);
    if (decision.exit || isLast) {
      return {
        destination: 'answer',
        topic: ctx.answerTopic ?? req.headers.replyTopic,
        key: req.headers.requestId,
        value: encodeTensor(out.exit, [out.exit.length], 'float32'),
        headers: encodeAnswerHeaders({
          ...req.headers,
          hops,
          settings,
          modelVersion: manifest.modelVersion,
          exitLayer: manifest.layer,
          classIndex: decision.classIndex,
          topProb: decision.topProb,
        }),
      };
    }
  }
  const featuresSpec = manifest.outputs.find((o) => o.role === 'features');
  if (!out.features || !featuresSpec || !ctx.nextTopic) {
    throw new Error(`sub-model "${manifest.layer}" produced neither an answer nor features to forward`);
  }
  return {
    destination: 'next',
    topic: ctx.nextTopic,
    key: req.headers.requestId,
    value: encodeTensor(out.features, featuresSpec.shape, ctx.featuresDtype),
    headers: encodeRequestHeaders({ ...req.headers, hops, settings, modelVersion: manifest.modelVersion }),
  };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
