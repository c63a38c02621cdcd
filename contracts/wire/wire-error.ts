/** Why a record was rejected. `reason` is a stable code: it becomes the dead-letter header and a metric label. */
export type WireErrorReason =
  | 'empty'
  | 'bad-magic'
  | 'unsupported-version'
  | 'bad-dtype'
  | 'bad-shape'
  | 'bad-flags'
  | 'truncated'
  | 'length-mismatch'
  | 'non-finite'
  | 'missing-header'
  | 'bad-header'
  | 'wrong-input'
  | 'model-version-mismatch'
  | 'unknown-reply-topic'
  // screened before anything is decoded
  | 'too-many-headers'
  | 'headers-too-large'
  | 'reply-topic-not-allowed'
  // a batch the Kafka client could not decompress or parse (the dead letter names its offset range)
  | 'undecodable-batch'
  // the destination cluster refused the answer or forward (authorization, size, invalid or vanished topic)
  | 'destination-refused';

export class WireError extends Error {
  constructor(
    readonly reason: WireErrorReason,
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'WireError';
  }
}
