import * as path from 'path';
import { BUNDLED_SAMPLE_DIR, DEFAULT_MODEL_DIR, OptionsError, parseRunOptions, REPO_ROOT, SHARED_CIFAR10_DIR } from '../../runtime/continuum/options';

const all = () => true;

describe('parseRunOptions', () => {
  it('defaults to the embedded default: local env, both transports, bundled sample, paper-like WAN', () => {
    const o = parseRunOptions({}, all);
    expect(o).toMatchObject({ env: 'local', transports: ['direct', 'mirrored'], dataDir: BUNDLED_SAMPLE_DIR, wanLatency: 15, wanBandwidth: 100, baseline: true, warmup: 50 });
  });

  it('reads --full from ../shared and --data from the given directory', () => {
    expect(parseRunOptions({ full: true }, all).dataDir).toBe(SHARED_CIFAR10_DIR);
    expect(parseRunOptions({ data: '/x/cifar' }, all).dataDir).toBe('/x/cifar');
    expect(parseRunOptions({ transport: 'mirrored' }, all).transports).toEqual(['mirrored']);
  });

  it('--model takes a shipped model by name, or a partitioned model root', () => {
    expect(parseRunOptions({}, all).model).toBe(DEFAULT_MODEL_DIR);
    expect(parseRunOptions({ model: 'vgg16-branchynet' }).model).toBe(path.join(REPO_ROOT, 'models/trained/vgg16-branchynet/partitions'));
    expect(parseRunOptions({ model: 'compact-branchynet' }).model).toBe(DEFAULT_MODEL_DIR);
    expect(parseRunOptions({ model: 'my/partitions' }, all).model).toBe('my/partitions');
    expect(parseRunOptions({ model: 'no-such-model' }, (p) => !p.includes('no-such-model')).model).toBe('no-such-model');
  });

  it('names the bad flag', () => {
    expect(() => parseRunOptions({ images: '0' }, all)).toThrow(/--images must be ≥ 1/);
    expect(() => parseRunOptions({ threshold: '1.5' }, all)).toThrow(/--threshold must be within 0\.\.1/);
    expect(() => parseRunOptions({ data: '/x', full: true }, all)).toThrow(OptionsError);
    expect(() => parseRunOptions({ full: true }, () => false)).toThrow(/--full reads .*test_batch\.bin/);
    expect(() => parseRunOptions({ data: '/nowhere' }, (p) => !p.startsWith('/nowhere'))).toThrow(/no CIFAR-10 test set in \/nowhere/);
  });
});
