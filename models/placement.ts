/**
 * Placements: which blocks and which exit run on which continuum layer. Pure planning, no tfjs.
 * A layer runs the blocks after the previous layer's last block up to `upTo`, then optionally the exit that
 * starts after `upTo`; every layer but the last hands its feature map to the next. The last layer must end the
 * model and answer (have an exit).
 */
import * as fs from 'fs';
import { z } from 'zod';
import { ArchitectureSpec, blockIndex, exitByName } from './architecture';

export const PlacementSpec = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  layers: z
    .array(
      z.object({
        layer: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
        /** Last block this layer runs. */
        upTo: z.string().min(1),
        /** Exit this layer answers with, or null for a pure feature relay. */
        exit: z.string().min(1).nullable(),
      }),
    )
    .min(1),
});
export type PlacementSpec = z.infer<typeof PlacementSpec>;

export interface LayerPlan {
  layer: string;
  index: number;
  fromBlock: string;
  toBlock: string;
  exit: string | null;
  next: string | null;
}

/** Checks a placement against an architecture and resolves each layer's block range. */
export function planPlacement(spec: ArchitectureSpec, placement: PlacementSpec): LayerPlan[] {
  const where = `placement '${placement.name}'`;
  const names = placement.layers.map((l) => l.layer);
  if (new Set(names).size !== names.length) throw new Error(`${where}: layer names must be unique (${names.join(', ')})`);
  let prev = -1;
  const plans: LayerPlan[] = placement.layers.map((l, i) => {
    const to = blockIndex(spec, l.upTo);
    if (to <= prev) throw new Error(`${where}: layer '${l.layer}' ends at '${l.upTo}', which the layer before already ran`);
    if (l.exit !== null) {
      const e = exitByName(spec, l.exit);
      if (e.after !== l.upTo) {
        throw new Error(`${where}: exit '${l.exit}' starts after '${e.after}', but layer '${l.layer}' ends at '${l.upTo}'`);
      }
    }
    const plan: LayerPlan = {
      layer: l.layer, index: i, fromBlock: spec.blocks[prev + 1].name, toBlock: l.upTo, exit: l.exit,
      next: i + 1 < names.length ? names[i + 1] : null,
    };
    prev = to;
    return plan;
  });
  const last = placement.layers[placement.layers.length - 1];
  if (prev !== spec.blocks.length - 1) {
    throw new Error(`${where}: the last layer '${last.layer}' must run up to the last block '${spec.blocks[spec.blocks.length - 1].name}'`);
  }
  if (last.exit === null) throw new Error(`${where}: the last layer '${last.layer}' must have an exit (it always answers)`);
  return plans;
}

/**
 * The placements every multi-exit model gets: cloud-only (the whole model, final exit only — the baseline),
 * edge-cloud (first exit on the edge) and, with three or more exits, edge-fog-cloud.
 */
export function standardPlacements(spec: ArchitectureSpec): PlacementSpec[] {
  const last = spec.blocks[spec.blocks.length - 1].name;
  const final = spec.exits[spec.exits.length - 1].name;
  const out: PlacementSpec[] = [{ name: 'cloud-only', layers: [{ layer: 'cloud', upTo: last, exit: final }] }];
  const early = spec.exits.slice(0, -1);
  if (early.length >= 1) {
    out.push({
      name: 'edge-cloud',
      layers: [{ layer: 'edge', upTo: early[0].after, exit: early[0].name }, { layer: 'cloud', upTo: last, exit: final }],
    });
  }
  if (early.length >= 2) {
    out.push({
      name: 'edge-fog-cloud',
      layers: [
        { layer: 'edge', upTo: early[0].after, exit: early[0].name },
        { layer: 'fog', upTo: early[1].after, exit: early[1].name },
        { layer: 'cloud', upTo: last, exit: final },
      ],
    });
  }
  return out;
}

/** A standard placement by name, or a placement JSON file. */
export function resolvePlacement(spec: ArchitectureSpec, nameOrFile: string): PlacementSpec {
  if (nameOrFile.endsWith('.json')) {
    const r = PlacementSpec.safeParse(JSON.parse(fs.readFileSync(nameOrFile, 'utf8')));
    if (!r.success) throw new Error(`${nameOrFile}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return r.data;
  }
  const std = standardPlacements(spec);
  const p = std.find((x) => x.name === nameOrFile);
  if (!p) throw new Error(`unknown placement '${nameOrFile}' for ${spec.name} (standard: ${std.map((x) => x.name).join(', ')}; or a .json file)`);
  return p;
}
