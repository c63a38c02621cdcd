import {
  SweepInput, evaluateThreshold, exitAccuracy, normalisedEntropy, propose, sweep, topOf,
} from '../../models/calibration';
import { formatTable, renderSvg } from '../../models/calibration-report';

/**
 * Four samples, two exits, three classes. Edge top probabilities 0.9, 0.6, 0.8, 0.34; labels 0, 1, 2, 0.
 * Edge predicts 0, 0, 2, 1; cloud predicts 0, 1, 1, 0.
 */
const input: SweepInput = {
  classes: 3,
  labels: [0, 1, 2, 0],
  exits: [
    { name: 'edge', forwardBytes: 100, probs: new Float32Array([0.9, 0.05, 0.05, 0.6, 0.3, 0.1, 0.1, 0.1, 0.8, 0.33, 0.34, 0.33]) },
    { name: 'cloud', forwardBytes: 0, probs: new Float32Array([0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.2, 0.5, 0.3, 0.5, 0.25, 0.25]) },
  ],
};

describe('calibration math', () => {
  it('top class and probability per row', () => {
    const { p, cls } = topOf(input.exits[0].probs, 3);
    expect(Array.from(p)).toEqual([0.9, 0.6, 0.8, 0.34].map(Math.fround));
    expect(Array.from(cls)).toEqual([0, 0, 2, 1]);
  });

  it('normalised entropy is 0 for a one-hot row and 1 for a uniform row', () => {
    const h = normalisedEntropy(new Float32Array([1, 0, 0, 1 / 3, 1 / 3, 1 / 3, 0.5, 0.5, 0]), 3);
    expect(h[0]).toBeCloseTo(0, 6);
    expect(h[1]).toBeCloseTo(1, 6);
    expect(h[2]).toBeCloseTo(Math.log(2) / Math.log(3), 6);
  });

  it('max-softmax cascade at 0.8: samples 0 and 2 exit at the edge, the others go up', () => {
    const r = evaluateThreshold(input, 'max-softmax', 0.8);
    expect(r.answered).toEqual([0.5, 0.5]);
    expect(r.accuracy).toEqual([1, 1]); // edge right on 0 and 2; cloud right on 1 and 3
    expect(r.finalAccuracyOnSame).toEqual([0.5, 1]); // the cloud alone would be wrong on sample 2
    expect(r.overallAccuracy).toBe(1); // here the cascade beats the last exit alone (0.75)
    expect(r.bytesUpstream).toBe(50); // half the samples send 100 bytes
  });

  it('threshold 0 answers everything at the first exit; above 1 everything at the last', () => {
    expect(evaluateThreshold(input, 'max-softmax', 0)).toMatchObject({ answered: [1, 0], overallAccuracy: 0.5, bytesUpstream: 0 });
    expect(evaluateThreshold(input, 'max-softmax', 1.01)).toMatchObject({ answered: [0, 1], accuracy: [null, 0.75], bytesUpstream: 100 });
  });

  it('entropy criterion answers when the normalised entropy is at most the threshold', () => {
    const h = normalisedEntropy(input.exits[0].probs, 3);
    const r = evaluateThreshold(input, 'entropy', (h[0] + h[2]) / 2); // only sample 0 is that certain
    expect(r.answered).toEqual([0.25, 0.75]);
    expect(r.accuracy[0]).toBe(1);
  });

  it('proposes the threshold with the most early answers whose accuracy stays within the budget', () => {
    const rows = sweep(input, 'max-softmax', [0, 0.5, 0.8, 0.95]);
    const final = exitAccuracy(input.exits[1].probs, input.labels, 3);
    expect(final).toBe(0.75);
    // t=0.5 answers 75 % early at overall 0.75 (= the cloud alone); t=0.8 is more accurate but sends more
    expect(rows.map((r) => r.overallAccuracy)).toEqual([0.5, 0.75, 1, 0.75]); // at 0.95 nothing exits early
    expect(propose(rows, final, 0).row?.threshold).toBe(0.5);
    // demanding more than the last exit alone picks the cheapest of the most accurate
    expect(propose(rows, 1, 0).row?.threshold).toBe(0.8);
    // a 25-point budget allows t=0 (everything at the edge, 0.5 accuracy)
    expect(propose(rows, final, 0.25).row?.threshold).toBe(0);
    // nothing reaches an impossible accuracy
    expect(propose(rows, 1.5, 0).row).toBeNull();
  });

  it('rejects outputs that do not match the labels', () => {
    expect(() => evaluateThreshold({ ...input, labels: [0, 1] }, 'max-softmax', 0.5)).toThrow('exit edge: 12 values, expected 2 samples × 3 classes');
  });

  it('renders a table and an SVG with both criteria', async () => {
    const ms = sweep(input, 'max-softmax', [0, 0.5, 0.8]);
    const en = sweep(input, 'entropy', [0, 0.5, 1]);
    const p = propose(ms, 0.75, 0);
    const table = formatTable(ms, ['edge', 'cloud'], { every: 1, mark: p.row });
    expect(table.split('\n')).toHaveLength(5);
    expect(table).toMatch(/max-softmax 0\.500 .*75\.00 .*← proposed/);
    const svg = await renderSvg({ title: 't', exitNames: ['edge', 'cloud'], maxSoftmax: ms, entropy: en, proposals: [p], reference: ms[2] });
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('normalised entropy ≤ t');
    expect(svg).toContain('max-softmax t=0.5');
    expect(svg).toContain('paper t=0.8');
    // one line per series: 2 criteria on the left, 4 series on the right
    expect((svg.match(/aria-roledescription="line mark container"/g) ?? []).length).toBe(2 + 4);
  });
});
