import { existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { CpuGroups, throttledBetween } from '../../../runtime/process/cpu-groups';
import { processCpuMs, sampleCpu } from '../../../runtime/process/cpu-time';

describe('CPU time from /proc', () => {
  test('this process has used some CPU, a missing pid none', () => {
    expect(processCpuMs(process.pid)).toBeGreaterThan(0);
    expect(processCpuMs(2 ** 22 + 7)).toBeNull();
    expect(sampleCpu([process.pid, 2 ** 22 + 7]).ms.size).toBe(1);
  });
});

describe('CPU groups', () => {
  test('bad budgets are refused, naming the group', () => {
    expect(() => CpuGroups.create({ budgets: { edge: 0 }, runId: 't', isolation: 'none' })).toThrow(/budget of "edge"/);
    expect(() => CpuGroups.create({ budgets: { 'Edge Layer': 1 }, runId: 't', isolation: 'none' })).toThrow(/"Edge Layer"/);
  });

  test('without isolation processes are only recorded', () => {
    const g = CpuGroups.create({ budgets: { edge: 0.5 }, runId: 't', isolation: 'none' });
    g.add('edge', process.pid);
    g.add('elsewhere', process.pid); // no budget: runs unconstrained
    expect(g.pids('edge')).toEqual([process.pid]);
    expect(g.pids('elsewhere')).toEqual([]);
    expect(g.throttledMs('edge')).toBe(0);
    expect(g.throttledAllMs()).toEqual({ edge: 0 });
    expect(g.note).toMatch(/no isolation/);
  });

  test('throttled time of a run: per group, the later reading minus the earlier (a group new since then counts from 0)', () => {
    expect(throttledBetween({ edge: 100, cloud: 40 }, { edge: 350, cloud: 40, devices: 7 })).toEqual({ edge: 250, cloud: 0, devices: 7 });
  });

  const writable = (() => {
    try {
      return existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') && process.getuid?.() === 0;
    } catch {
      return false;
    }
  })();
  (writable ? test : test.skip)('cgroup v1: a busy process is held to its quota, and the groups are removed at close', async () => {
    const g = CpuGroups.create({ budgets: { edge: 0.2 }, runId: `test-${process.pid}`, isolation: 'cgroup-v1' });
    try {
      const quota = () => readFileSync(`/sys/fs/cgroup/cpu/ddnn-test-${process.pid}/edge/cpu.cfs_quota_us`, 'utf8').trim();
      expect(quota()).toBe('2000');
      g.enforce(false); // while processes start
      expect(quota()).toBe('-1');
      g.enforce(true);
      expect(quota()).toBe('2000');
      const child = spawn('sh', ['-c', 'read _; end=$(($(date +%s)+2)); while [ $(date +%s) -lt $end ]; do :; done'], { stdio: ['pipe', 'ignore', 'ignore'] });
      g.add('edge', child.pid!);
      const before = processCpuMs(child.pid!)!;
      const t0 = Date.now();
      child.stdin!.end('go\n');
      await new Promise((r) => child.on('exit', r));
      const used = (processCpuMs(child.pid!) ?? before + 0) - before;
      // A finished child's /proc entry may be gone: fall back to the group's throttling, which must have happened.
      expect(g.throttledMs('edge')).toBeGreaterThan(100);
      if (Number.isFinite(used) && used > 0) expect(used / (Date.now() - t0)).toBeLessThan(0.35);
    } finally {
      g.close();
    }
    expect(existsSync(`/sys/fs/cgroup/cpu/ddnn-test-${process.pid}`)).toBe(false);
  });
});
