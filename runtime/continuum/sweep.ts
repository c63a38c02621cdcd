/** The partition sweep (pure): one experiment report per partition count → the series of the paper's Figs. 8–9. */
import { PAPER, PaperNumbers } from './paper';
import type { ExperimentReport, Transport } from './report';

export interface SweepPoint {
  readonly env: string;
  readonly partitions: number;
  readonly transport: Transport;
  readonly exitAvgMs: number;
  readonly allAvgMs: number;
  readonly cloudOnlyAvgMs: number;
  readonly speedUpEarlyExits: number;
  readonly speedUpTotal: number;
  readonly exitShare: number;
  readonly globalAccuracy: number;
}

export interface SweepReport {
  readonly kind: 'continuum-sweep';
  readonly formatVersion: 1;
  readonly points: readonly SweepPoint[];
  readonly experiments: readonly ExperimentReport[];
  readonly paper: PaperNumbers;
}

export function buildSweep(experiments: readonly ExperimentReport[]): SweepReport {
  const points = experiments
    .flatMap((e) =>
      e.earlyExit.map((r) => ({
        env: e.setup.env,
        partitions: e.setup.partitions,
        transport: r.transport,
        exitAvgMs: r.responseTimeMs.perLayer[r.exitLayer]?.avg ?? NaN,
        allAvgMs: r.responseTimeMs.all.avg,
        cloudOnlyAvgMs: e.cloudOnly.responseTimeMs.avg,
        speedUpEarlyExits: r.speedUp.earlyExits,
        speedUpTotal: r.speedUp.total,
        exitShare: r.exitShare,
        globalAccuracy: r.globalAccuracy,
      })),
    )
    .sort((a, b) => a.partitions - b.partitions || a.transport.localeCompare(b.transport));
  return { kind: 'continuum-sweep', formatVersion: 1, points, experiments, paper: PAPER };
}
