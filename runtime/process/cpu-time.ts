/**
 * CPU time of processes from /proc/<pid>/stat (user + system, all threads), to say what each component of a run
 * used. Linux only; elsewhere every reading is null and the report says CPU was not measured.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux ABI Node runs on. */
const TICKS_PER_SECOND = 100;

/** CPU milliseconds `pid` has used so far, or null when it is gone or /proc is not there. */
export function processCpuMs(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

export interface CpuSample {
  readonly at: number;
  readonly ms: ReadonlyMap<number, number>;
}

/** CPU time of each pid now (pids that are gone are left out). */
export function sampleCpu(pids: Iterable<number>, now = Date.now()): CpuSample {
  const ms = new Map<number, number>();
  for (const pid of pids) {
    const v = processCpuMs(pid);
    if (v !== null) ms.set(pid, v);
  }
  return { at: now, ms };
}

/** CPU ms used by `pid` between two samples; a pid missing from `before` (started meanwhile) counts from 0. */
export function cpuBetween(before: CpuSample, after: CpuSample, pid: number): number {
  const b = before.ms.get(pid) ?? 0;
  const a = after.ms.get(pid);
  return a === undefined ? 0 : Math.max(0, a - b);
}
