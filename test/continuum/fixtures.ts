/** Hand-built records with known answers, shared by the continuum report tests. */
import type { AnsweredRecord } from '../../contracts/records';
import type { RunRecords } from '../../runtime/continuum/records';
import type { ExperimentInput, ExperimentSetup } from '../../runtime/continuum/report';

export const setup: ExperimentSetup = {
  env: 'test',
  layers: ['edge', 'cloud'],
  threshold: 0.8,
  devices: 2,
  images: 10,
  brokersPerLayer: 1,
  partitions: 1,
  wan: { latencyMs: 15, bandwidthMbps: 100 },
  ratePerDevice: null,
  dataset: 'fixture',
  model: 'compact-branchynet',
  modelVersion: 'abc',
  backend: 'wasm',
  host: 'test host',
};

export function rec(imageId: number, label: number, predicted: number, layer: string, responseMs: number, requestId = `r${imageId}`): AnsweredRecord {
  return { requestId, deviceId: `d${imageId % 2}`, imageId, label, predicted, layer, responseMs, sentAt: 0, answeredAt: responseMs, topProb: 0.9, modelVersion: null, hops: [] };
}

/**
 * 10 images, label = imageId % 10. Early exit: images 0–5 answered at the edge (0–3 right, 4–5 wrong), 10 ms each;
 * images 6–9 at the cloud (6–8 right, 9 wrong), 100 ms each. Cloud-only: all right except images 5 and 9, 50 ms.
 */
export const earlyExitRun: RunRecords = {
  sent: 10,
  records: [
    ...[0, 1, 2, 3].map((i) => rec(i, i, i, 'edge', 10)),
    ...[4, 5].map((i) => rec(i, i, (i + 1) % 10, 'edge', 10)),
    ...[6, 7, 8].map((i) => rec(i, i, i, 'cloud', 100)),
    rec(9, 9, 0, 'cloud', 100),
  ],
  wanBytes: { up: 40_000, down: 2_000 },
  durationMs: 2_000,
};

export const cloudOnlyRun: RunRecords = {
  sent: 10,
  records: Array.from({ length: 10 }, (_, i) => rec(i, i, i === 5 || i === 9 ? 0 : i, 'cloud', 50)),
  wanBytes: { up: 35_000, down: 3_000 },
  durationMs: 1_000,
};

export const input: ExperimentInput = {
  setup,
  earlyExit: [{ transport: 'direct', run: earlyExitRun }],
  cloudOnly: cloudOnlyRun,
  startedAt: '2026-11-26T06:00:00.000Z',
  finishedAt: '2026-11-26T06:01:00.000Z',
};
