/**
 * The controller's accuracy budget: the JSON `npm run calibrate` writes (results/calibration/<model>-<placement>/
 * calibration.json) and, optionally, its feature-encoding table (features.json). Only the fields the controller
 * uses are read, strictly typed; a wrong file fails with the field that is wrong.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DTYPES, type Calibration, type FeaturesDtype } from './decide';

const Row = z.object({ threshold: z.number().min(0).max(1), answered: z.array(z.number().min(0).max(1)).min(1), overallAccuracy: z.number().min(0).max(1) });

const CalibrationFile = z.object({
  modelVersion: z.string(),
  placement: z.string(),
  accuracyBudget: z.number().min(0).max(1),
  finalExitAccuracy: z.number().min(0).max(1),
  exits: z.array(z.object({ name: z.string(), forwardBytes: z.number().nonnegative() })).min(2),
  sweeps: z.object({ 'max-softmax': z.array(Row).min(1) }),
});

const FeaturesFile = z.object({
  rows: z.array(z.object({ encoding: z.enum(['float32', 'float16', 'int8']), bytesPerFeatureMap: z.array(z.number().positive()).min(1), overallAccuracy: z.number() })).min(1),
});

/** Wire-frame bytes of a float32 feature map of `float32Bytes` payload bytes, per encoding (approximate header). */
function encodedBytes(float32Bytes: number): Record<FeaturesDtype, number> {
  return { float32: float32Bytes + 20, float16: float32Bytes / 2 + 20, int8: float32Bytes / 4 + 400 };
}

function parse<T>(schema: z.ZodType<T>, json: unknown, file: string): T {
  const r = schema.safeParse(json);
  if (!r.success) throw new Error(`${file}: ${r.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

export interface LoadedCalibration {
  readonly calibration: Calibration;
  readonly modelVersion: string;
  readonly placement: string;
}

/** Pure: the parsed files → the controller's calibration. `budget` overrides the file's accuracy budget. */
export function toCalibration(calJson: unknown, featuresJson: unknown | null, opts: { file: string; featuresFile?: string; budget?: number }): LoadedCalibration {
  const cal = parse(CalibrationFile, calJson, opts.file);
  const first = cal.exits[0];
  let featureBytes: Partial<Record<FeaturesDtype, number>> = encodedBytes(first.forwardBytes);
  let encodingDelta: Partial<Record<FeaturesDtype, number>> | undefined;
  if (featuresJson !== null) {
    const f = parse(FeaturesFile, featuresJson, opts.featuresFile ?? 'features file');
    const ref = f.rows.find((r) => r.encoding === 'float32') ?? f.rows[0];
    featureBytes = Object.fromEntries(f.rows.map((r) => [r.encoding, r.bytesPerFeatureMap[0]]));
    // the overall change spread over the forwarded requests (those the encoding touches)
    const forwarded = 1 - (cal.sweeps['max-softmax'].find((r) => Math.abs(r.threshold - 0.8) < 1e-9)?.answered[0] ?? 0.5);
    encodingDelta = Object.fromEntries(f.rows.map((r) => [r.encoding, forwarded > 0 ? (r.overallAccuracy - ref.overallAccuracy) / forwarded : 0]));
  }
  for (const d of DTYPES) if (featureBytes[d] === undefined) delete featureBytes[d];
  return {
    modelVersion: cal.modelVersion,
    placement: cal.placement,
    calibration: {
      finalExitAccuracy: cal.finalExitAccuracy,
      accuracyBudget: opts.budget ?? cal.accuracyBudget,
      points: cal.sweeps['max-softmax'].map((r) => ({ threshold: r.threshold, edgeShare: r.answered[0], overallAccuracy: r.overallAccuracy })),
      featureBytes,
      ...(encodingDelta ? { encodingDelta } : {}),
    },
  };
}

export function loadCalibration(file: string, opts: { featuresFile?: string; budget?: number } = {}): LoadedCalibration {
  const read = (f: string) => {
    try {
      return JSON.parse(readFileSync(f, 'utf8')) as unknown;
    } catch (e) {
      throw new Error(`${f}: ${(e as Error).message} (run npm run calibrate first)`);
    }
  };
  return toCalibration(read(file), opts.featuresFile ? read(opts.featuresFile) : null, { file, ...opts });
}
