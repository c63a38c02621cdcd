/**
 * CPU budgets for the processes of a local run: each continuum layer (its brokers, ZooKeeper, MirrorMaker 2 and
 * workers) and the devices get a group with a CPU quota, standing in for the separate machines of a real continuum.
 *
 * - cgroup v1 (`/sys/fs/cgroup/cpu`, writable as root): a child group per budget with `cpu.cfs_quota_us`. The
 *   period is 10 ms, not the kernel's 100 ms: a group that used its quota waits for the next period, and at 100 ms
 *   that wait alone would add tens of milliseconds to a request's tail.
 * - otherwise `taskset`: each group gets whole cores in proportion to its budget (coarse: 2 cores cannot express
 *   0.8 + 1.0 + 0.2), and the report says so.
 * - otherwise nothing is isolated, and the report says so.
 *
 * Usage is read per process from /proc (cpu-time.ts), so the report shows what each group actually used.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type Isolation = 'cgroup-v1' | 'taskset' | 'none';

const CPU_ROOT = '/sys/fs/cgroup/cpu';
const PERIOD_US = 10_000;

export interface CpuGroupsOptions {
  /** cores per group name, e.g. { edge: 0.8, cloud: 1, devices: 0.2 } */
  budgets: Readonly<Record<string, number>>;
  /** unique per run: the cgroups are `ddnn-<runId>/<group>` */
  runId: string;
  /** force a mechanism (tests); default: the best available */
  isolation?: Isolation;
}

export class CpuGroups {
  private readonly members = new Map<string, Set<number>>();
  private readonly cpuSets = new Map<string, string>();

  private constructor(
    readonly isolation: Isolation,
    readonly budgets: Readonly<Record<string, number>>,
    private readonly root: string | null,
    /** why the mechanism is what it is, for the report */
    readonly note: string,
  ) {}

  static create(options: CpuGroupsOptions): CpuGroups {
    const { budgets } = options;
    for (const [name, cpus] of Object.entries(budgets)) {
      if (!/^[a-z0-9-]{1,63}$/.test(name)) throw new Error(`CPU group name "${name}" must be 1–63 of [a-z0-9-]`);
      if (!(cpus > 0)) throw new Error(`CPU budget of "${name}" (${cpus}) must be > 0 cores`);
    }
    const wanted = options.isolation;
    if ((wanted === undefined || wanted === 'cgroup-v1') && cgroupV1Writable()) {
      const root = path.join(CPU_ROOT, `ddnn-${options.runId}`);
      mkdirSync(root, { recursive: true });
      for (const [name, cpus] of Object.entries(budgets)) {
        const dir = path.join(root, name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
        writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(quotaUs(cpus)));
      }
      return new CpuGroups('cgroup-v1', budgets, root, `cgroup v1 CPU quotas (cpu.cfs_quota_us per ${PERIOD_US / 1000} ms period)`);
    }
    if (wanted === 'cgroup-v1') throw new Error(`cgroup v1 CPU controller is not writable at ${CPU_ROOT} (needs root)`);
    if ((wanted === undefined || wanted === 'taskset') && hasTaskset()) {
      const groups = new CpuGroups('taskset', budgets, null, '');
      const note = groups.assignCores(os.cpus().length);
      return Object.assign(groups, { note: `taskset CPU sets (cgroups not writable): ${note}; whole cores only, so budgets are approximate` });
    }
    return new CpuGroups('none', budgets, null, 'no isolation: cgroups not writable and no taskset; every process shares all cores');
  }

  /** Puts a process (all its threads) into a group; its children started later inherit it. */
  add(group: string, pid: number): void {
    if (!(group in this.budgets)) return; // a group without a budget runs unconstrained
    let set = this.members.get(group);
    if (!set) this.members.set(group, (set = new Set()));
    set.add(pid);
    try {
      if (this.isolation === 'cgroup-v1') writeFileSync(path.join(this.root!, group, 'cgroup.procs'), String(pid));
      else if (this.isolation === 'taskset') spawnSync('taskset', ['-a', '-p', '-c', this.cpuSets.get(group)!, String(pid)], { stdio: 'ignore' });
    } catch (e) {
      // The process may have exited already (a restarted worker); nothing to constrain then.
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }

  /**
   * Quotas on (the default) or off. Off while processes start: a JVM loading its classes under 0.8 of a core took
   * ~77 s to bring a continuum up, and start-up is not what a run measures; the experiment turns them on for the
   * warm-up and the stream.
   */
  enforce(on: boolean): void {
    if (this.isolation !== 'cgroup-v1') return;
    for (const [name, cpus] of Object.entries(this.budgets)) {
      writeFileSync(path.join(this.root!, name, 'cpu.cfs_quota_us'), String(on ? quotaUs(cpus) : -1));
    }
  }

  /** Pids added to `group` so far (some may have exited). */
  pids(group: string): number[] {
    return [...(this.members.get(group) ?? [])];
  }

  /** Time the group's processes waited because the group had used its quota (cgroup v1 only), in ms. */
  throttledMs(group: string): number {
    if (this.isolation !== 'cgroup-v1' || !(group in this.budgets)) return 0;
    const stat = readFileSync(path.join(this.root!, group, 'cpu.stat'), 'utf8');
    const m = /throttled_time (\d+)/.exec(stat);
    return m ? Number(m[1]) / 1e6 : 0;
  }

  /** throttledMs of every group, by name: read before and after a stream, throttledBetween gives the run's. */
  throttledAllMs(): Record<string, number> {
    return Object.fromEntries(Object.keys(this.budgets).map((name) => [name, this.throttledMs(name)]));
  }

  /** Moves whatever is left back to the root group and removes the groups. */
  close(): void {
    if (this.isolation !== 'cgroup-v1' || !this.root || !existsSync(this.root)) return;
    for (const group of Object.keys(this.budgets)) {
      const dir = path.join(this.root, group);
      try {
        for (const pid of readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
          try {
            writeFileSync(path.join(CPU_ROOT, 'cgroup.procs'), pid);
          } catch {
            // exited meanwhile
          }
        }
        rmdirSync(dir);
      } catch {
        // best effort: an empty cgroup left behind costs nothing
      }
    }
    try {
      rmdirSync(this.root);
    } catch {
      // best effort
    }
  }

  /** taskset: consecutive cores per group, at least one each, in proportion to the budgets. */
  private assignCores(cores: number): string {
    const entries = Object.entries(this.budgets);
    const total = entries.reduce((s, [, c]) => s + c, 0);
    let next = 0;
    const parts: string[] = [];
    for (const [name, cpus] of entries) {
      const n = Math.max(1, Math.round((cpus / total) * cores));
      const from = Math.min(next, cores - 1);
      const to = Math.min(cores - 1, from + n - 1);
      this.cpuSets.set(name, from === to ? String(from) : `${from}-${to}`);
      parts.push(`${name} → cpu ${this.cpuSets.get(name)}`);
      next = to + 1 >= cores ? 0 : to + 1;
    }
    return parts.join(', ');
  }
}

function quotaUs(cpus: number): number {
  return Math.max(1000, Math.round(cpus * PERIOD_US));
}

function cgroupV1Writable(): boolean {
  try {
    const probe = path.join(CPU_ROOT, `ddnn-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
    return existsSync(path.join(CPU_ROOT, 'cpu.cfs_quota_us'));
  } catch {
    return false;
  }
}

function hasTaskset(): boolean {
  return spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0;
}

/** Per group, the ms throttled between two throttledAllMs() readings. */
export function throttledBetween(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((g) => [g, after[g] - (before[g] ?? 0)]));
}
