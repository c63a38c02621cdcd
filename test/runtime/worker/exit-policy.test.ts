import { argmax, decideExit, normalizedEntropy } from '../../../runtime/worker/exit-policy';

describe('exit policy', () => {
  const confident = [0.02, 0.9, 0.02, 0.02, 0.04];
  const unsure = [0.3, 0.25, 0.2, 0.15, 0.1];

  test('max-prob exits when the top probability reaches the threshold (inclusive, like the paper)', () => {
    expect(decideExit(confident, { criterion: 'max-prob', threshold: 0.8 })).toMatchObject({ exit: true, classIndex: 1, topProb: 0.9 });
    expect(decideExit([0.2, 0.8], { criterion: 'max-prob', threshold: 0.8 }).exit).toBe(true);
    expect(decideExit(unsure, { criterion: 'max-prob', threshold: 0.8 })).toMatchObject({ exit: false, classIndex: 0, topProb: 0.3 });
  });

  test('threshold 0 always exits and threshold 1 exits only on certainty', () => {
    expect(decideExit(unsure, { criterion: 'max-prob', threshold: 0 }).exit).toBe(true);
    expect(decideExit(confident, { criterion: 'max-prob', threshold: 1 }).exit).toBe(false);
    expect(decideExit([0, 1, 0], { criterion: 'max-prob', threshold: 1 }).exit).toBe(true);
  });

  test('entropy exits when normalised entropy is at most the threshold', () => {
    const d = decideExit(confident, { criterion: 'entropy', threshold: 0.4 });
    expect(d.entropy).toBeGreaterThan(0.2);
    expect(d.entropy).toBeLessThan(0.4);
    expect(d.exit).toBe(true);
    expect(decideExit(unsure, { criterion: 'entropy', threshold: 0.4 }).exit).toBe(false);
  });

  test('normalised entropy is 0 for one-hot and 1 for uniform', () => {
    expect(normalizedEntropy([0, 0, 1, 0])).toBe(0);
    expect(normalizedEntropy([0.25, 0.25, 0.25, 0.25])).toBeCloseTo(1, 12);
    expect(normalizedEntropy(new Float32Array([0.5, 0.5]))).toBeCloseTo(1, 6);
  });

  test('argmax breaks ties toward the lowest index', () => {
    expect(argmax([0.4, 0.4, 0.2])).toEqual({ index: 0, value: 0.4 });
  });

  test('a NaN from a broken model never exits', () => {
    expect(decideExit([NaN, NaN], { criterion: 'max-prob', threshold: 0 }).exit).toBe(false);
    expect(decideExit([NaN, NaN], { criterion: 'entropy', threshold: 1 }).exit).toBe(false);
  });

  test('refuses a single-class exit', () => {
    expect(() => decideExit([1], { criterion: 'max-prob', threshold: 0.5 })).toThrow(/at least 2/);
  });
});
