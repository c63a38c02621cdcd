/**
 * Declarative multi-exit (BranchyNet) architectures, defined once in `models/architectures/<name>.json` and read by
 * both the Python/Keras trainer (models/train/spec.py) and this module, which builds tfjs models from them.
 * Layer names come from the spec, so weights map 1:1 between Keras and tfjs as `<layer>/<weight>`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';

const name = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'layer names are identifiers: letters, digits, _');

export const LayerSpec = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('conv2d'),
    name,
    filters: z.number().int().positive(),
    kernelSize: z.number().int().positive(),
    strides: z.number().int().positive().optional(),
    padding: z.enum(['same', 'valid']).optional(),
    activation: z.enum(['relu', 'linear']).optional(),
    useBias: z.boolean().optional(),
  }),
  z.object({
    type: z.literal('batchNormalization'),
    name,
    momentum: z.number().positive().optional(),
    epsilon: z.number().positive().optional(),
  }),
  z.object({ type: z.literal('activation'), name, activation: z.enum(['relu', 'softmax', 'linear']) }),
  z.object({
    type: z.literal('maxPooling2d'),
    name,
    poolSize: z.number().int().positive(),
    strides: z.number().int().positive().optional(),
  }),
  z.object({ type: z.literal('globalAveragePooling2d'), name }),
  z.object({ type: z.literal('flatten'), name }),
  z.object({
    type: z.literal('dense'),
    name,
    units: z.number().int().positive(),
    activation: z.enum(['relu', 'softmax', 'linear']).optional(),
    useBias: z.boolean().optional(),
  }),
  z.object({ type: z.literal('dropout'), name, rate: z.number().min(0).lt(1) }),
]);
export type LayerSpec = z.infer<typeof LayerSpec>;

export const BlockSpec = z.object({ name, layers: z.array(LayerSpec).min(1) });
export type BlockSpec = z.infer<typeof BlockSpec>;

/** An early exit: a head that branches off after `after` (a block name) and ends in a softmax over the classes. */
export const ExitSpec = z.object({
  name,
  after: name,
  /** Weight of this exit's loss in joint (BranchyNet) training. */
  lossWeight: z.number().nonnegative().default(1),
  head: z.array(LayerSpec).min(1),
});
export type ExitSpec = z.infer<typeof ExitSpec>;

export const ArchitectureSpec = z
  .object({
    formatVersion: z.literal(1),
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    description: z.string().default(''),
    input: z.object({
      shape: z.array(z.number().int().positive()).length(3),
      dtype: z.enum(['uint8', 'float32']),
      /** Multiplier the runtime applies to the raw input (1/255 for uint8 images). */
      scale: z.number().positive(),
    }),
    classNames: z.array(z.string().min(1)).min(2),
    blocks: z.array(BlockSpec).min(1),
    exits: z.array(ExitSpec).min(1),
  })
  .superRefine((spec, ctx) => {
    const blocks = spec.blocks.map((b) => b.name);
    const seen = new Set<string>();
    const all = [...spec.blocks.flatMap((b) => b.layers), ...spec.exits.flatMap((e) => e.head)];
    for (const l of all) {
      if (seen.has(l.name)) ctx.addIssue({ code: 'custom', message: `layer name '${l.name}' is used twice` });
      seen.add(l.name);
    }
    spec.exits.forEach((e, i) => {
      if (!blocks.includes(e.after)) {
        ctx.addIssue({
          code: 'custom',
          path: ['exits', i, 'after'],
          message: `exit '${e.name}' starts after '${e.after}', which is not a block (${blocks.join(', ')})`,
        });
      }
      const last = e.head[e.head.length - 1];
      if (last.type !== 'dense' || last.activation !== 'softmax' || last.units !== spec.classNames.length || last.name !== e.name) {
        ctx.addIssue({
          code: 'custom',
          path: ['exits', i, 'head'],
          message: `exit '${e.name}' must end in a dense softmax layer named '${e.name}' with ${spec.classNames.length} units`,
        });
      }
    });
    const order = spec.exits.map((e) => blocks.indexOf(e.after));
    if (order.some((o, i) => i > 0 && o < order[i - 1])) {
      ctx.addIssue({ code: 'custom', path: ['exits'], message: 'exits must be listed in block order' });
    }
    if (spec.exits[spec.exits.length - 1].after !== blocks[blocks.length - 1]) {
      ctx.addIssue({ code: 'custom', path: ['exits'], message: `the last exit must come after the last block '${blocks[blocks.length - 1]}'` });
    }
  });
export type ArchitectureSpec = z.infer<typeof ArchitectureSpec>;

export const ARCHITECTURES_DIR = path.join(__dirname, 'architectures');

/** Parses a spec object, failing with a message that names the offending field. */
export function parseArchitecture(raw: unknown, source = 'architecture'): ArchitectureSpec {
  const r = ArchitectureSpec.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`invalid ${source}: ${issues}`);
  }
  return r.data;
}

/** Loads `models/architectures/<name>.json`, or a spec file when given a path ending in .json. */
export function loadArchitecture(nameOrPath: string): ArchitectureSpec {
  const file = nameOrPath.endsWith('.json') ? nameOrPath : path.join(ARCHITECTURES_DIR, `${nameOrPath}.json`);
  if (!fs.existsSync(file)) throw new Error(`architecture spec not found: ${file}`);
  return parseArchitecture(JSON.parse(fs.readFileSync(file, 'utf8')), file);
}

export function blockIndex(spec: ArchitectureSpec, block: string): number {
  const i = spec.blocks.findIndex((b) => b.name === block);
  if (i < 0) throw new Error(`unknown block '${block}' in ${spec.name} (blocks: ${spec.blocks.map((b) => b.name).join(', ')})`);
  return i;
}

export function exitByName(spec: ArchitectureSpec, exit: string): ExitSpec {
  const e = spec.exits.find((x) => x.name === exit);
  if (!e) throw new Error(`unknown exit '${exit}' in ${spec.name} (exits: ${spec.exits.map((x) => x.name).join(', ')})`);
  return e;
}
