/**
 * What one run of the continuum produces, as the report reads it. The device simulator's own record type is
 * mapped onto this in the orchestrator, so the report stays a pure function of plain data.
 */

/** One answered request, as the device that sent it saw it. */
export interface AnsweredRequest {
  readonly requestId: string;
  readonly deviceId: string;
  /** Index of the image in the dataset (the same ids are streamed in the early-exit and the cloud-only run). */
  readonly imageId: number;
  readonly label: number;
  readonly prediction: number;
  /** Continuum layer whose exit produced the answer (e.g. `edge`, `cloud`). */
  readonly layer: string;
  /** Device-side time from send to reply, in milliseconds. */
  readonly responseTimeMs: number;
  /** Epoch ms at the device when sent; with `hops`, splits the response time into its segments. */
  readonly sentAt?: number;
  /** Each worker the request passed: when it took the record, when it handed on the result, batch predict time. */
  readonly hops?: ReadonlyArray<{ readonly layer: string; readonly inAt: number; readonly outAt: number; readonly modelMs: number }>;
}

/** Bytes that crossed the emulated WAN link during a run, each way. */
export interface WanBytes {
  /** Edge → cloud (requests, features, mirrored topics, client protocol). */
  readonly up: number;
  /** Cloud → edge (answers, fetch responses, protocol). */
  readonly down: number;
}

/** The raw result of one run: what was sent, what came back, what crossed the WAN. */
export interface RunRecords {
  /** Requests the devices sent. */
  readonly sent: number;
  readonly records: readonly AnsweredRequest[];
  /** Answers dropped by the devices as repeats of an answered request (not in `records`). @default 0 */
  readonly duplicateAnswers?: number;
  readonly wanBytes: WanBytes;
  /** Wall-clock duration of the stream, in milliseconds. */
  readonly durationMs: number;
}
