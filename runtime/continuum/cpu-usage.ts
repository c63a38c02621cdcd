/**
 * What each component of a run cost in CPU: per process (broker, ZooKeeper, MirrorMaker 2, worker, devices), per
 * request, and per CPU group against its budget. Pure: the experiment takes the /proc samples and hands them in.
 */
import type { CpuSample } from '../process/cpu-time';
import { cpuBetween } from '../process/cpu-time';

export type ComponentKind = 'broker' | 'zookeeper' | 'mirror-maker' | 'worker' | 'devices';

/** A process of the run and where it belongs. */
export interface RosterEntry {
  /** CPU group: a layer name or `devices` */
  readonly layer: string;
  readonly kind: ComponentKind;
  readonly name: string;
  readonly pid: number;
}

export interface CpuComponent {
  readonly layer: string;
  readonly kind: ComponentKind;
  readonly name: string;
  readonly cpuMs: number;
  readonly perRequestMs: number;
}

export interface CpuGroupUsage {
  readonly budgetCpus: number | null;
  /** average cores used while the requests streamed */
  readonly usedCpus: number;
  /** time the group waited for its next quota period (cgroup v1 only) */
  readonly throttledMs: number;
}

export interface CpuRun {
  readonly run: string;
  readonly requests: number;
  readonly durationMs: number;
  readonly groups: Readonly<Record<string, CpuGroupUsage>>;
  readonly components: readonly CpuComponent[];
}

export interface CpuReport {
  readonly isolation: 'cgroup-v1' | 'taskset' | 'none';
  readonly budgets: Readonly<Record<string, number>>;
  readonly note: string;
  readonly runs: readonly CpuRun[];
}

export interface CpuRunInput {
  readonly run: string;
  readonly roster: readonly RosterEntry[];
  readonly before: CpuSample;
  readonly after: CpuSample;
  readonly requests: number;
  readonly budgets: Readonly<Record<string, number>>;
  /** throttled ms per group over the same interval */
  readonly throttledMs: Readonly<Record<string, number>>;
}

export function summarizeCpuRun(input: CpuRunInput): CpuRun {
  const durationMs = Math.max(1, input.after.at - input.before.at);
  const requests = Math.max(1, input.requests);
  const components = input.roster.map((e) => {
    const cpuMs = cpuBetween(input.before, input.after, e.pid);
    return { layer: e.layer, kind: e.kind, name: e.name, cpuMs, perRequestMs: cpuMs / requests };
  });
  const layers = [...new Set([...components.map((c) => c.layer), ...Object.keys(input.budgets)])];
  const groups = Object.fromEntries(
    layers.map((layer) => {
      const used = components.filter((c) => c.layer === layer).reduce((s, c) => s + c.cpuMs, 0);
      return [layer, { budgetCpus: input.budgets[layer] ?? null, usedCpus: used / durationMs, throttledMs: input.throttledMs[layer] ?? 0 }];
    }),
  );
  return { run: input.run, requests: input.requests, durationMs, groups, components };
}

/** CPU ms per request by layer and kind (replicas of one kind summed): the table the report shows. */
export function cpuPerRequestTable(run: CpuRun): Array<{ layer: string; kind: ComponentKind; processes: number; perRequestMs: number; cpuMs: number }> {
  const rows = new Map<string, { layer: string; kind: ComponentKind; processes: number; perRequestMs: number; cpuMs: number }>();
  for (const c of run.components) {
    const key = `${c.layer}/${c.kind}`;
    const row = rows.get(key) ?? { layer: c.layer, kind: c.kind, processes: 0, perRequestMs: 0, cpuMs: 0 };
    row.processes += 1;
    row.perRequestMs += c.perRequestMs;
    row.cpuMs += c.cpuMs;
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => b.perRequestMs - a.perRequestMs);
}
