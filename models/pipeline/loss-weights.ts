/**
 * Which exits a training run optimises and how much each loss counts (pure). The spec's `lossWeight` per exit is the
 * default; `--exits` trains only the named exits (the others get weight 0 but are still evaluated, and exported with
 * their initial weights); `--loss-weight name=w` overrides one. A name that is not an exit of the spec is an error
 * naming it and the exits there are.
 */
import type { ArchitectureSpec } from '../architecture';

function checkExit(spec: ArchitectureSpec, name: string, what: string): void {
  if (!spec.exits.some((e) => e.name === name)) {
    throw new Error(`${what}: exit '${name}' is not in ${spec.name} (its exits: ${spec.exits.map((e) => e.name).join(', ')})`);
  }
}

/** Parses `name=weight` pairs (the --loss-weight option). */
export function parseLossWeightOverrides(pairs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pairs) {
    const m = /^([A-Za-z][A-Za-z0-9_]*)=([0-9.eE+-]+)$/.exec(p.trim());
    const w = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(w) || w < 0) throw new Error(`--loss-weight "${p}": expected <exit>=<non-negative number>`);
    out[m[1]] = w;
  }
  return out;
}

/** Loss weights in spec exit order (the order buildFullModel returns the outputs). */
export function resolveLossWeights(spec: ArchitectureSpec, exits?: readonly string[], overrides: Record<string, number> = {}): number[] {
  for (const e of exits ?? []) checkExit(spec, e, '--exits');
  for (const e of Object.keys(overrides)) checkExit(spec, e, '--loss-weight');
  const weights = spec.exits.map((e) => {
    if (exits && !exits.includes(e.name)) {
      if (overrides[e.name] !== undefined) throw new Error(`--loss-weight: exit '${e.name}' is not among --exits (${exits.join(', ')})`);
      return 0;
    }
    return overrides[e.name] ?? e.lossWeight;
  });
  if (weights.every((w) => w === 0)) throw new Error(`every exit's loss weight is 0: nothing to train`);
  return weights;
}
