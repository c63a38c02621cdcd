/**
 * The rollout protocol as pure functions (state → the control records of each step); runtime/registry/rollout.ts
 * does the I/O and the waiting. Downstream first:
 *
 *   1. load    every layer adds the new version to `serve` (its active version unchanged), the first one too, so
 *              that its switch is a flip and its replicas switch within one control-topic fetch of each other;
 *              wait until every replica reports it loaded;
 *   2. switch  the first layer serves the new version only: new requests are pinned to it, and the version travels
 *              with the features, so one request never mixes versions;
 *   3. retire  once the old version drained (each layer, in chain order, has settled every record that was in its
 *              input when the layer before it had drained), the other layers drop the old versions.
 *
 * Rollback is the same to the previous version.
 */
import type { LayerModels } from '../../contracts/control';
import { registryReference, type ReplicaStatus } from '../../contracts/registry';

export interface ControlWrite {
  layer: string;
  value: LayerModels;
}

export interface RolloutPlan {
  load: ControlWrite[];
  switch: ControlWrite;
  retire: ControlWrite[];
}

export interface PlanInput {
  /** the placement's layers in chain order: chain[0] takes the devices' raw images */
  chain: readonly string[];
  /** the version to roll out */
  target: string;
  /** versions the first layer may be producing now (its active version; every replica's, if they disagree) */
  emitting: readonly string[];
  /** each later layer's current models record, if any (versions a half-finished rollout left served) */
  current: Readonly<Record<string, LayerModels | null | undefined>>;
  /** versions held in the registry: they get a `registry:<version>` source, so a replica that restarts can load them */
  inRegistry: ReadonlySet<string>;
  issuedAt: number;
  by: string;
}

const MAX_SERVED = 8; // contracts/control.ts

export function planRollout(p: PlanInput): RolloutPlan {
  if (p.chain.length === 0) throw new Error('the placement has no layers');
  const sources = (versions: readonly string[]) => {
    const s = Object.fromEntries(versions.filter((v) => p.inRegistry.has(v)).map((v) => [v, registryReference(v)]));
    return Object.keys(s).length > 0 ? { sources: s } : {};
  };
  const record = (active: string, serve: readonly string[], reason: string): LayerModels => ({
    active,
    serve: [...serve],
    ...sources(serve),
    issuedAt: p.issuedAt,
    by: p.by,
    reason,
  });
  const [first, ...rest] = p.chain;
  const load = p.chain.map((layer) => {
    const now = p.current[layer];
    const before = now ? now.serve : [];
    const serve = unique([...before, ...p.emitting, p.target]);
    if (serve.length > MAX_SERVED) throw new Error(`layer ${layer} would serve ${serve.length} versions (${serve.join(', ')}); at most ${MAX_SERVED}`);
    const active = now?.active ?? p.emitting[0] ?? p.target;
    return { layer, value: record(active, serve, `rollout ${p.target}: load (downstream first)`) };
  });
  return {
    load,
    switch: { layer: first, value: record(p.target, [p.target], `rollout ${p.target}: switch the first layer`) },
    retire: rest.map((layer) => ({ layer, value: record(p.target, [p.target], `rollout ${p.target}: retire the old versions`) })),
  };
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

export interface Member {
  memberId: string;
  clientId: string;
}

/**
 * The live replicas of a layer: members of its consumer group, each with its latest status (matched by member id,
 * else by client id). A status without a member is a replica that left; a member without a status has not reported.
 */
export function liveReplicas(members: readonly Member[], statuses: readonly ReplicaStatus[]): { member: Member; status: ReplicaStatus | undefined }[] {
  return members.map((member) => ({
    member,
    status: statuses.find((s) => s.memberId === member.memberId) ?? statuses.find((s) => s.clientId === member.clientId),
  }));
}

/** Replicas that do not yet have `version` loaded (and active, with `active`): what a step still waits for. */
export function waitingFor(replicas: ReturnType<typeof liveReplicas>, version: string, opts: { active?: boolean; only?: boolean } = {}): string[] {
  return replicas
    .filter(({ status: s }) => !s || !s.loaded.includes(version) || (opts.active && s.active !== version) || (opts.only && s.loaded.length !== 1))
    .map(({ member, status }) => `${member.clientId}${status ? ` (loaded ${status.loaded.join(', ')}; active ${status.active}${status.error ? `; error: ${status.error}` : ''})` : ' (no status)'}`);
}

/** Whether a group has settled every record below `targets` (the high watermarks taken when the step began). */
export function drained(committed: ReadonlyArray<{ partition: number; offset: string }>, targets: ReadonlyArray<{ partition: number; offset: string }>): boolean {
  return targets.every((t) => {
    const c = committed.find((x) => x.partition === t.partition);
    const at = c && Number(c.offset) >= 0 ? BigInt(c.offset) : 0n;
    return at >= BigInt(t.offset);
  });
}

/** The versions the rollout history keeps, oldest first, after rolling out `target` from `from`. */
export function nextHistory(history: readonly string[], from: string | undefined, target: string): string[] {
  const h = history.length === 0 && from && from !== target ? [from] : [...history];
  if (h[h.length - 1] !== target) h.push(target);
  return h.slice(-50);
}

/** Where a rollback goes: the version rolled out before the current one, and the history after it. */
export function rollbackTarget(history: readonly string[]): { target: string; history: string[] } {
  if (history.length < 2) throw new Error(`no earlier version to roll back to (rollout history: ${history.length === 0 ? 'empty' : history.join(' → ')})`);
  return { target: history[history.length - 2], history: history.slice(0, -1) };
}
