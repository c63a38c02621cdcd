/**
 * Exit-threshold calibration, pure math: given every exit's softmax output for a labelled set, sweep one threshold
 * shared by all early exits and report per threshold the share answered and accuracy at each exit, the overall
 * accuracy and the expected bytes sent upstream; then propose the threshold for an accuracy budget.
 *
 * Two criteria: `max-softmax` (answer when the top probability ≥ t, as the paper does) and `entropy` (answer when
 * the normalised entropy H(p)/ln(C) ≤ t, as BranchyNet does).
 */

export type Criterion = 'max-softmax' | 'entropy';

export interface ExitOutputs {
  name: string;
  /** Row-major [count × classes] softmax outputs. */
  probs: Float32Array;
  /**
   * Bytes this exit's layer sends to the next layer for each sample it does not answer (the feature map), or 0
   * for the last exit.
   */
  forwardBytes: number;
}

export interface SweepRow {
  criterion: Criterion;
  threshold: number;
  /** Share of all samples answered at each exit (sums to 1). */
  answered: number[];
  /** Accuracy on the samples answered at each exit; null where none were answered. */
  accuracy: (number | null)[];
  /** Accuracy of the final exit on the samples each exit answered (what the full model would have said). */
  finalAccuracyOnSame: (number | null)[];
  overallAccuracy: number;
  /** Expected feature bytes sent upstream per sample, over all links. */
  bytesUpstream: number;
}

export interface SweepInput {
  exits: ExitOutputs[];
  labels: ArrayLike<number>;
  classes: number;
}

/** Top probability and class of each row. */
export function topOf(probs: Float32Array, classes: number): { p: Float32Array; cls: Int32Array } {
  const n = probs.length / classes;
  const p = new Float32Array(n);
  const cls = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = -1;
    let arg = 0;
    for (let c = 0; c < classes; c++) {
      const v = probs[i * classes + c];
      if (v > best) {
        best = v;
        arg = c;
      }
    }
    p[i] = best;
    cls[i] = arg;
  }
  return { p, cls };
}

/** Entropy of each row divided by ln(classes): 0 = certain, 1 = uniform. */
export function normalisedEntropy(probs: Float32Array, classes: number): Float32Array {
  const n = probs.length / classes;
  const out = new Float32Array(n);
  const norm = Math.log(classes);
  for (let i = 0; i < n; i++) {
    let h = 0;
    for (let c = 0; c < classes; c++) {
      const v = probs[i * classes + c];
      if (v > 0) h -= v * Math.log(v);
    }
    out[i] = h / norm;
  }
  return out;
}

/** Whether a sample with this confidence score may exit at threshold t. */
export function confident(criterion: Criterion, score: number, t: number): boolean {
  return criterion === 'max-softmax' ? score >= t : score <= t;
}

function validate(input: SweepInput): number {
  const { exits, labels, classes } = input;
  if (exits.length === 0) throw new Error('calibration needs at least one exit');
  const n = labels.length;
  for (const e of exits) {
    if (e.probs.length !== n * classes) {
      throw new Error(`exit ${e.name}: ${e.probs.length} values, expected ${n} samples × ${classes} classes`);
    }
  }
  if (n === 0) throw new Error('calibration needs at least one sample');
  return n;
}

/** Evaluates the cascade at one threshold. */
export function evaluateThreshold(input: SweepInput, criterion: Criterion, threshold: number, cache?: Prepared): SweepRow {
  const n = validate(input);
  const prep = cache ?? prepare(input);
  const k = input.exits.length;
  const answered = new Array<number>(k).fill(0);
  const correct = new Array<number>(k).fill(0);
  const finalCorrect = new Array<number>(k).fill(0);
  let bytes = 0;
  const final = prep.top[k - 1].cls;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const score = criterion === 'max-softmax' ? prep.top[j].p[i] : prep.entropy[j][i];
      if (j === k - 1 || confident(criterion, score, threshold)) {
        answered[j]++;
        if (prep.top[j].cls[i] === input.labels[i]) correct[j]++;
        if (final[i] === input.labels[i]) finalCorrect[j]++;
        break;
      }
      bytes += input.exits[j].forwardBytes;
    }
  }
  return {
    criterion,
    threshold,
    answered: answered.map((a) => a / n),
    accuracy: answered.map((a, j) => (a ? correct[j] / a : null)),
    finalAccuracyOnSame: answered.map((a, j) => (a ? finalCorrect[j] / a : null)),
    overallAccuracy: correct.reduce((s, c) => s + c, 0) / n,
    bytesUpstream: bytes / n,
  };
}

export interface Prepared {
  top: { p: Float32Array; cls: Int32Array }[];
  entropy: Float32Array[];
}

export function prepare(input: SweepInput): Prepared {
  return {
    top: input.exits.map((e) => topOf(e.probs, input.classes)),
    entropy: input.exits.map((e) => normalisedEntropy(e.probs, input.classes)),
  };
}

/** Thresholds swept by default: 0.00…1.00 in steps of 0.01, plus finer steps near 1 for max-softmax. */
export function defaultThresholds(criterion: Criterion): number[] {
  const base = Array.from({ length: 101 }, (_, i) => Math.round(i) / 100);
  return criterion === 'max-softmax' ? [...base.slice(0, 100), 0.995, 0.999, 1] : [0, 0.001, 0.005, ...base.slice(1)];
}

export function sweep(input: SweepInput, criterion: Criterion, thresholds = defaultThresholds(criterion)): SweepRow[] {
  const prep = prepare(input);
  return thresholds.map((t) => evaluateThreshold(input, criterion, t, prep));
}

export interface Proposal {
  criterion: Criterion;
  /** Overall accuracy must stay ≥ this. */
  minAccuracy: number;
  row: SweepRow | null;
}

/**
 * The threshold that answers most samples early (fewest bytes upstream) while the overall accuracy stays within
 * `accuracyBudget` of the final exit alone (`finalAccuracy − budget`). Ties go to the higher accuracy.
 */
export function propose(rows: SweepRow[], finalAccuracy: number, accuracyBudget: number): Proposal {
  if (rows.length === 0) throw new Error('no sweep rows to choose from');
  const minAccuracy = finalAccuracy - accuracyBudget;
  const ok = rows.filter((r) => r.overallAccuracy >= minAccuracy - 1e-12);
  const best = ok.reduce<SweepRow | null>(
    (b, r) => (!b || r.bytesUpstream < b.bytesUpstream || (r.bytesUpstream === b.bytesUpstream && r.overallAccuracy > b.overallAccuracy) ? r : b),
    null,
  );
  return { criterion: rows[0].criterion, minAccuracy, row: best };
}

/** Accuracy of one exit alone on all samples. */
export function exitAccuracy(probs: Float32Array, labels: ArrayLike<number>, classes: number): number {
  const { cls } = topOf(probs, classes);
  let c = 0;
  for (let i = 0; i < labels.length; i++) if (cls[i] === labels[i]) c++;
  return c / labels.length;
}
