/**
 * What one run of the continuum produces, as the report reads it: the devices' own records (contracts/records.ts,
 * the collector's input too) of the answered requests, plus what the run measured around them. Plain data, so the
 * report stays a pure function.
 */
import type { AnsweredRecord } from '../../contracts/records';

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
  readonly records: readonly AnsweredRecord[];
  /** Answers dropped by the devices as repeats of an answered request (not in `records`). @default 0 */
  readonly duplicateAnswers?: number;
  readonly wanBytes: WanBytes;
  /** Wall-clock duration of the stream, in milliseconds. */
  readonly durationMs: number;
}
