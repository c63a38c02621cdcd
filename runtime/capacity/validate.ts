/**
 * Validation (pure): the model's predicted p50/p95/avg against the measured ones, per measured set (environment ×
 * run: direct, mirrored, cloud-only), two ways:
 * - self: fitted on the set itself. Segment averages and each answering layer's p95 are fitted then (profile.ts
 *   steps 4–5), so only p50 tests the model; it shows what the model can represent at all.
 * - cross: fitted on the reference set (the report with the fewest partitions, the first given on a tie: p1 of a
 *   sweep) and retargeted to the set's partitions, brokers, devices, arrival and WAN. This is the honest test: no
 *   measurement of the predicted set enters the prediction except its setup.
 */
import { profileFromReport, retarget, type FitOptions, type MeasuredReport } from './profile';
import { simulate } from './model';
import type { Profile, RunKind } from './types';

export interface Figures {
  readonly avg: number;
  readonly p50: number;
  readonly p95: number;
}

export interface ValidationRow {
  readonly set: string;
  readonly env: string;
  readonly partitions: number;
  readonly run: RunKind;
  readonly fit: 'self' | 'cross';
  /** The set the profile was fitted on. */
  readonly fittedOn: string;
  readonly measured: Figures;
  readonly predicted: Figures;
  /** (predicted − measured) / measured */
  readonly error: Figures;
}

export interface Validation {
  readonly kind: 'capacity-validation';
  readonly reference: string;
  readonly rows: readonly ValidationRow[];
  /** Largest |error| of p50 and p95 over cross-fit rows at partitions 1 and 2 (the issue's ≤ 20 % target). */
  readonly maxCrossErrorP1P2: number | null;
  readonly notes: readonly string[];
}

export const relativeError = (predicted: number, measured: number): number =>
  Number.isFinite(predicted) && Number.isFinite(measured) && measured !== 0 ? (predicted - measured) / measured : NaN;

export function errors(predicted: Figures, measured: Figures): Figures {
  return {
    avg: relativeError(predicted.avg, measured.avg),
    p50: relativeError(predicted.p50, measured.p50),
    p95: relativeError(predicted.p95, measured.p95),
  };
}

/** Largest |p50| or |p95| error over these rows, null when there are none. */
export function maxAbsError(rows: readonly ValidationRow[]): number | null {
  const values = rows.flatMap((r) => [r.error.p50, r.error.p95]).filter(Number.isFinite).map(Math.abs);
  return values.length ? Math.max(...values) : null;
}

export const setName = (r: MeasuredReport, index: number) => `${r.setup.env} p${r.setup.partitions}#${index + 1}`;

function runsOf(r: MeasuredReport): RunKind[] {
  const runs: RunKind[] = r.earlyExit.map((e) => e.transport);
  if (Number.isFinite(r.cloudOnly.responseTimeMs.avg)) runs.push('cloud-only');
  return runs;
}

function measuredFigures(r: MeasuredReport, run: RunKind): Figures {
  const s = run === 'cloud-only' ? r.cloudOnly.responseTimeMs : r.earlyExit.find((e) => e.transport === run)!.responseTimeMs.all;
  return { avg: s.avg, p50: s.p50, p95: s.p95 };
}

export interface ValidateOptions extends FitOptions {
  /** Requests simulated per prediction. @default 6000 */
  readonly predictRequests?: number;
}

export function validate(reports: readonly MeasuredReport[], options: ValidateOptions = {}): Validation {
  if (reports.length === 0) throw new Error('validate: no reports given');
  const refIndex = reports.reduce((best, r, i) => (r.setup.partitions < reports[best].setup.partitions ? i : best), 0);
  const ref = reports[refIndex];
  const reference = setName(ref, refIndex);
  const seed = options.seed ?? 1;
  const predict = (p: Profile) => {
    const s = simulate(p, { seed: seed + 1, requests: options.predictRequests ?? 6000 }).all;
    return { avg: s.avg, p50: s.p50, p95: s.p95 };
  };
  const refProfiles = new Map<RunKind, Profile>();
  const notes: string[] = [];
  const rows: ValidationRow[] = [];
  reports.forEach((r, i) => {
    const set = setName(r, i);
    for (const run of runsOf(r)) {
      const measured = measuredFigures(r, run);
      const base = { set, env: r.setup.env, partitions: r.setup.partitions, run, measured };
      const self = profileFromReport(r, run, options).profile;
      const selfPredicted = predict(self);
      rows.push({ ...base, fit: 'self', fittedOn: set, predicted: selfPredicted, error: errors(selfPredicted, measured) });
      if (i === refIndex) {
        refProfiles.set(run, self);
        continue;
      }
      if (!refProfiles.has(run)) {
        if (!runsOf(ref).includes(run)) {
          notes.push(`${set} ${run}: the reference ${reference} has no ${run} run, no cross-fit`);
          continue;
        }
        refProfiles.set(run, profileFromReport(ref, run, options).profile);
      }
      const crossPredicted = predict(retarget(refProfiles.get(run)!, r.setup));
      rows.push({ ...base, fit: 'cross', fittedOn: reference, predicted: crossPredicted, error: errors(crossPredicted, measured) });
    }
  });
  if (!reports.some((r) => r.cpu)) notes.push('no report has a cpu table: CPU demands are bench:worker defaults and one host CPU is shared by all layers');
  return {
    kind: 'capacity-validation',
    reference,
    rows,
    maxCrossErrorP1P2: maxAbsError(rows.filter((r) => r.fit === 'cross' && r.partitions <= 2)),
    notes,
  };
}

const pct = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(0)} %` : '—');
const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '—');

/** The validation as a Markdown table (the README's form). */
export function validationTable(v: Validation): string {
  const head = '| set | run | fit | p50 measured | p50 predicted | error | p95 measured | p95 predicted | error |';
  const rule = '|---|---|---|---:|---:|---:|---:|---:|---:|';
  const lines = v.rows.map((r) =>
    `| ${r.set} | ${r.run} | ${r.fit === 'self' ? 'self' : `from ${r.fittedOn}`} | ${ms(r.measured.p50)} | ${ms(r.predicted.p50)} | ${pct(r.error.p50)} | ${ms(r.measured.p95)} | ${ms(r.predicted.p95)} | ${pct(r.error.p95)} |`,
  );
  const max = v.maxCrossErrorP1P2 === null ? 'no cross-fit rows at p1/p2' : `${(v.maxCrossErrorP1P2 * 100).toFixed(0)} % (target ≤ 20 %)`;
  return [head, rule, ...lines, '', `Largest cross-fit |error| of p50/p95 at p1–p2: ${max}`, ...v.notes.map((n) => `Note: ${n}`)].join('\n');
}
