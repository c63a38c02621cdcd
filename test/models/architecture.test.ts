import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadArchitecture, parseArchitecture } from '../../models/architecture';
import { blockOutputShapes, buildFullModel, buildSegment } from '../../models/build';
import { TRAINED } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('architecture specs', () => {
  it('compact-branchynet builds a tfjs model with one softmax output per exit, in spec order', () => {
    const spec = loadArchitecture('compact-branchynet');
    const { model, outputs } = buildFullModel(spec);
    try {
      expect(outputs.map((o) => o.name)).toEqual(['edge_output', 'fog_output', 'cloud_output']);
      expect(model.inputs[0].shape).toEqual([null, 32, 32, 3]);
      expect(model.outputs.map((o) => o.shape)).toEqual([[null, 10], [null, 10], [null, 10]]);
      const y = model.predict(tf.zeros([2, 32, 32, 3])) as tf.Tensor[];
      for (const t of y) expect(Array.from(t.sum(1).dataSync()).every((s) => Math.abs(s - 1) < 1e-5)).toBe(true);
      tf.dispose(y);
    } finally {
      model.dispose();
    }
  });

  it('compact-branchynet weights are named as the Keras trainer names them (1:1 with the shipped weights)', () => {
    const spec = loadArchitecture('compact-branchynet');
    const { model } = buildFullModel(spec);
    const meta = JSON.parse(fs.readFileSync(path.join(TRAINED, 'weights.json'), 'utf8'));
    const shipped = new Map<string, number[]>(meta.weightsManifest[0].weights.map((w: { name: string; shape: number[] }) => [w.name, w.shape]));
    const ours = new Map(model.weights.map((w) => [w.originalName, w.shape]));
    model.dispose();
    expect([...ours.keys()].sort()).toEqual([...shipped.keys()].sort());
    for (const [name, shape] of ours) expect([name, shape]).toEqual([name, shipped.get(name)]);
  });

  it('vgg16-branchynet matches the paper: block1 16×16×64, block2 8×8×128, block5 1×1×512 and its heads', () => {
    const spec = loadArchitecture('vgg16-branchynet');
    const shapes = blockOutputShapes(spec);
    expect(Object.fromEntries(shapes)).toEqual({
      block1: [16, 16, 64], block2: [8, 8, 128], block3: [4, 4, 256], block4: [2, 2, 512], block5: [1, 1, 512],
    });
    expect(spec.blocks.map((b) => b.layers.filter((l) => l.type === 'conv2d').length)).toEqual([2, 2, 3, 3, 3]);
    const units = (exit: string) => spec.exits.find((e) => e.name === exit)!.head.flatMap((l) => (l.type === 'dense' ? [l.units] : []));
    expect(units('edge_output')).toEqual([128, 10]);
    expect(units('fog_output')).toEqual([256, 128, 10]);
    expect(units('cloud_output')).toEqual([1024, 512, 256, 128, 10]);
    // the edge part alone (block1 + edge head) as the paper deploys it: features 16×16×64 and the edge exit
    const edge = buildSegment(spec, { fromBlock: 'block1', toBlock: 'block1', exits: ['edge_output'], features: true });
    try {
      expect(edge.model.outputs.map((o) => o.shape)).toEqual([[null, 16, 16, 64], [null, 10]]);
      expect(edge.model.countParams()).toBe(3 * 3 * 3 * 64 + 64 + 3 * 3 * 64 * 64 + 64 + 16384 * 128 + 128 + 128 * 10 + 10);
    } finally {
      edge.model.dispose();
    }
  });

  describe('validation names the problem', () => {
    const base = () => JSON.parse(fs.readFileSync(path.join(__dirname, '../../models/architectures/compact-branchynet.json'), 'utf8'));

    it('an exit after an unknown block', () => {
      const s = base();
      s.exits[0].after = 'block9';
      expect(() => parseArchitecture(s)).toThrow(/exits\.0\.after: exit 'edge_output' starts after 'block9', which is not a block/);
    });

    it('a model that does not end in an exit', () => {
      const s = base();
      s.exits.pop();
      expect(() => parseArchitecture(s)).toThrow(/the last exit must come after the last block 'block3'/);
    });

    it('an exit head that is not a softmax over the classes', () => {
      const s = base();
      s.exits[0].head[s.exits[0].head.length - 1].units = 7;
      expect(() => parseArchitecture(s)).toThrow(/exit 'edge_output' must end in a dense softmax layer named 'edge_output' with 10 units/);
    });

    it('a layer name used twice, and an unsupported layer type', () => {
      const s = base();
      s.blocks[1].layers[0].name = 'block1_conv1';
      expect(() => parseArchitecture(s)).toThrow(/layer name 'block1_conv1' is used twice/);
      const t = base();
      t.blocks[0].layers[0].type = 'conv3d';
      expect(() => parseArchitecture(t, 'my.json')).toThrow(/invalid my\.json: blocks\.0\.layers\.0\.type/);
    });
  });

  it('lets users declare their own exits: any number, anywhere after a block', () => {
    const s = JSON.parse(fs.readFileSync(path.join(__dirname, '../../models/architectures/compact-branchynet.json'), 'utf8'));
    s.exits = [
      { name: 'a_output', after: 'block1', head: [{ type: 'globalAveragePooling2d', name: 'a_gap' }, { type: 'dense', name: 'a_output', units: 10, activation: 'softmax' }] },
      { name: 'b_output', after: 'block2', head: [{ type: 'flatten', name: 'b_flat' }, { type: 'dense', name: 'b_output', units: 10, activation: 'softmax' }] },
      { name: 'c_output', after: 'block2', head: [{ type: 'globalAveragePooling2d', name: 'c_gap' }, { type: 'dense', name: 'c_output', units: 10, activation: 'softmax' }] },
      { name: 'd_output', after: 'block3', head: [{ type: 'flatten', name: 'd_flat' }, { type: 'dense', name: 'd_output', units: 10, activation: 'softmax' }] },
    ];
    const { model } = buildFullModel(parseArchitecture(s));
    expect(model.outputNames).toEqual(['a_output', 'b_output', 'c_output', 'd_output']);
    model.dispose();
  });
});
