/**
 * The early-exit decision for one sample: answer here, or forward the features to the next layer.
 *
 * - `max-prob` (the paper, Kafka-ML): exit when the top softmax probability ≥ threshold (paper: 0.8).
 * - `entropy` (BranchyNet): exit when the entropy of the softmax, normalised by ln(classes) to [0, 1], ≤ threshold.
 */
export type ExitCriterion = 'max-prob' | 'entropy';

export interface ExitPolicy {
  criterion: ExitCriterion;
  /** in [0, 1]; its meaning depends on the criterion (see above) */
  threshold: number;
}

export interface ExitDecision {
  exit: boolean;
  classIndex: number;
  topProb: number;
  /** normalised entropy in [0, 1] */
  entropy: number;
}

/** Index and value of the largest probability; ties go to the lowest class index (like argmax). */
export function argmax(probs: ArrayLike<number>): { index: number; value: number } {
  let index = 0;
  let value = probs[0];
  for (let i = 1; i < probs.length; i++) {
    if (probs[i] > value) {
      value = probs[i];
      index = i;
    }
  }
  return { index, value };
}

/** Shannon entropy divided by ln(n): 0 for a one-hot vector, 1 for the uniform one. */
export function normalizedEntropy(probs: ArrayLike<number>): number {
  if (probs.length < 2) return 0;
  let h = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i];
    if (p > 0) h -= p * Math.log(p);
  }
  return Math.min(1, Math.max(0, h / Math.log(probs.length)));
}

export function decideExit(probs: ArrayLike<number>, policy: ExitPolicy): ExitDecision {
  if (probs.length < 2) throw new Error(`an exit needs at least 2 class probabilities, got ${probs.length}`);
  const { index, value } = argmax(probs);
  const entropy = normalizedEntropy(probs);
  // A NaN probability (a broken model) never passes a threshold: the sample goes on to a deeper layer.
  const exit = policy.criterion === 'max-prob' ? value >= policy.threshold : entropy <= policy.threshold;
  return { exit: exit && Number.isFinite(value), classIndex: index, topProb: value, entropy };
}
