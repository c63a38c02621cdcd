import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const SCRIPT = path.join(ROOT, 'runtime', 'tf', 'native', 'install.sh');
const ADDON_DIR = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-node', 'lib');

/** Snapshot of what the script could damage: the tfjs-node addon folder (absent on most machines). */
function addonState(): string {
  if (!fs.existsSync(ADDON_DIR)) return 'absent';
  const files = fs.readdirSync(ADDON_DIR, { recursive: true }) as string[];
  return files.map((f) => `${f}:${fs.statSync(path.join(ADDON_DIR, f)).mtimeMs}`).sort().join(',');
}

describe('runtime/tf/native/install.sh', () => {
  it('fails with a clear message and changes nothing when a prerequisite is missing', () => {
    const before = addonState();
    const r = spawnSync('bash', [SCRIPT], {
      env: { ...process.env, PYTHON: '/nonexistent/python3', NATIVE_TF_CACHE: '/nonexistent/cache' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Python not found ('/nonexistent/python3')");
    expect(r.stderr).toContain('wasm/cpu backends');
    expect(addonState()).toBe(before);
  });

  it('rejects unknown options with a usage line', () => {
    const r = spawnSync('bash', [SCRIPT, '--bogus'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^usage: .*install\.sh \[--force\|--check\|--remove\]/);
  });
});
