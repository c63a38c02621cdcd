/**
 * A short wan-drop run (phases of a few seconds, the controller's run only) on real brokers and worker processes
 * with a tiny model: nothing is lost, the controller takes every request to the edge during the WAN cut and
 * returns to the split once the WAN is back, and the report files are written.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BUNDLED_SAMPLE_DIR } from '../../runtime/continuum/options';
import { Resources } from '../../runtime/continuum/resources';
import { phaseBounds, wanDropPhases } from '../../runtime/continuum/scenario';
import { runScenario } from '../../runtime/continuum/scenario-run';
import { DEFAULT_HYSTERESIS } from '../../runtime/controller/decide';
import { writeTinyPartitionedModel, writeTinyWholeModel } from '../runtime/fixtures/tiny-model';

jest.setTimeout(180_000);

test('wan-drop, short: 0 lost; edge-only during the cut, back to the split after it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ddnn-wan-drop-'));
  const resources = new Resources();
  try {
    await writeTinyPartitionedModel(path.join(dir, 'model', 'edge-cloud'), 13);
    await writeTinyWholeModel(path.join(dir, 'model', 'cloud-only', 'cloud'), 13); // the standby for cloud-only
    const phases = wanDropPhases({ phaseS: [3, 3, 6, 6, 2], baseLatencyMs: 5, slowdownMs: 10 });
    const steps: string[] = [];
    const { report, files } = await runScenario(
      {
        env: 'local',
        modelDir: path.join(dir, 'model'),
        dataDir: BUNDLED_SAMPLE_DIR,
        phases,
        devices: 1,
        rate: 10,
        threshold: 0.8,
        featuresDtype: 'float16',
        calibration: {
          finalExitAccuracy: 0.9,
          accuracyBudget: 0.01,
          points: [
            { threshold: 0, edgeShare: 1, overallAccuracy: 0.8 },
            { threshold: 0.8, edgeShare: 0.5, overallAccuracy: 0.9 },
          ],
          featureBytes: { float16: 1044, int8: 900 },
        },
        hysteresis: { ...DEFAULT_HYSTERESIS, minDwellMs: 1000 },
        controllerWindowMs: 500,
        probeTimeoutMs: 400,
        runs: ['controller'],
        backend: 'auto',
        tfThreads: 1,
        warmup: 3,
        drainTimeoutS: 30,
        out: dir,
      },
      { step: (m) => steps.push(m), progress: () => undefined },
      resources,
    );
    const run = report.runs[0];
    expect(['tensorflow', 'wasm', 'cpu']).toContain(run.backend); // what `auto` resolved to, as the workers reported it
    expect(report.setup).toMatchObject({ backend: run.backend, backendRequested: 'auto' });
    expect(run.phases.at(-1)).toMatchObject({ phase: 'all', lost: 0 });
    expect(run.phases.map((p) => p.phase)).toEqual([...phases.map((p) => p.name), 'all']);
    const cut = phaseBounds(phases)[2];
    const toEdge = run.decisions.find((d) => d.setting === 'edge-only');
    expect(toEdge).toBeDefined();
    expect(toEdge!.t).toBeGreaterThanOrEqual(cut.fromS);
    expect(toEdge!.t).toBeLessThan(cut.toS);
    expect(toEdge!.reason).toMatch(/WAN down/);
    const back = run.decisions.find((d) => d.t > toEdge!.t && d.setting !== 'edge-only');
    expect(back).toBeDefined();
    expect(back!.t).toBeGreaterThanOrEqual(cut.toS);
    for (const f of [files.json, files.svg, files.html]) expect(existsSync(f)).toBe(true);
    expect(readFileSync(files.svg, 'utf8')).toContain('with controller p95');
    expect(steps.some((s) => s.includes('phase 3 WAN cut'))).toBe(true);
  } finally {
    await resources.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
