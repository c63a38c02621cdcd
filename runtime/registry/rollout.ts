/**
 * Rollout and rollback of a registered model version across running layers (protocol: rollout-plan.ts). Every layer
 * is reached on its own cluster: its control topic (what the workers follow), its rollout topic (what the replicas
 * report), its registry, and its consumer group's committed offsets (how the drain is seen). Everything that can be
 * checked is checked before the first write: a version missing from any layer's registry, a layer without a
 * cluster or without a running worker fails naming it, and the running continuum is untouched.
 */
import type { Admin, Kafka } from 'kafkajs';
import { CONTROL_TOPIC, CONTROL_TOPIC_CONFIGS, controlKey, decodeControlRecord, encodeControlValue, LayerModels } from '../../contracts/control';
import {
  HISTORY_KEY,
  REGISTRY_TOPIC,
  ReplicaStatus,
  ROLLOUT_TOPIC,
  ROLLOUT_TOPIC_CONFIGS,
  RolloutHistory,
  type RegistryManifest,
} from '../../contracts/registry';
import { ACKS_ALL, LOW_LATENCY_PRODUCER } from '../kafka/client-settings';
import { drained, liveReplicas, nextHistory, planRollout, rollbackTarget, waitingFor, type ControlWrite, type Member } from './rollout-plan';
import { ensureCompactedTopic, listVersions, readLayerFiles } from './store';
import { readCompacted } from './topic-reader';

export class RolloutError extends Error {}

export interface RolloutOptions {
  /** each layer's cluster (a client to it), by layer name */
  clusters: Readonly<Record<string, Kafka>>;
  /** the cluster of every layer not in `clusters` (all layers on one cluster, as in tests and demos) */
  shared?: Kafka;
  /** a version, or the version before the current one */
  target: { version: string } | { rollback: true };
  controlTopic?: string;
  registryTopic?: string;
  rolloutTopic?: string;
  /** how long replicas may take to load a version (and to report at all) @default 120 s */
  loadTimeoutMs?: number;
  /** how long the old version may take to drain after the switch @default 120 s */
  drainTimeoutMs?: number;
  pollMs?: number;
  by?: string;
  /** progress lines */
  log?: (line: string) => void;
}

export interface RolloutResult {
  target: string;
  from: string[];
  chain: string[];
  /** 'done', or 'unchanged' when every layer already served only the target */
  outcome: 'done' | 'unchanged';
  /** ms from the start to each step's end */
  timings: { loaded: number; switched: number; drained: number; retired: number };
}

interface LayerState {
  layer: string;
  kafka: Kafka;
  control: LayerModels | null;
  statuses: ReplicaStatus[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function rollout(opts: RolloutOptions): Promise<RolloutResult> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const controlTopic = opts.controlTopic ?? CONTROL_TOPIC;
  const registryTopic = opts.registryTopic ?? REGISTRY_TOPIC;
  const rolloutTopic = opts.rolloutTopic ?? ROLLOUT_TOPIC;
  const pollMs = opts.pollMs ?? 250;
  const loadTimeoutMs = opts.loadTimeoutMs ?? 120_000;
  const given: Record<string, Kafka> = { ...opts.clusters, ...(opts.shared ? { '*': opts.shared } : {}) };
  if (Object.keys(given).length === 0) throw new RolloutError('no layer clusters given');

  // ── checks, before anything is written ──────────────────────────────────────────────────────────────
  const history = await readHistory(given, rolloutTopic);
  let target: string;
  let historyAfter: string[] | null = null;
  if ('rollback' in opts.target) {
    const back = rollbackTarget(history);
    target = back.target;
    historyAfter = back.history;
    log(`rollback: ${history[history.length - 1]} → ${target}`);
  } else {
    target = opts.target.version;
  }
  let manifest: RegistryManifest | undefined;
  for (const [layer, kafka] of Object.entries(given)) {
    const { versions } = await listVersions(kafka, registryTopic);
    const m = versions.get(target);
    if (!m) {
      const held = [...versions.keys()];
      const where = layer === '*' ? 'the cluster' : `layer ${layer}'s cluster`;
      throw new RolloutError(`model version ${target} is not in the registry of ${where} (topic ${registryTopic} holds ${held.length ? held.join(', ') : 'no version'}); nothing was changed`);
    }
    manifest ??= m;
  }
  const chain = manifest!.placement.layers;
  const missing = chain.filter((l) => !given[l] && !opts.shared);
  if (missing.length > 0) throw new RolloutError(`model version ${target} runs on ${chain.join(' → ')}: no cluster given for ${missing.join(', ')}; nothing was changed`);
  const extra = Object.keys(opts.clusters).filter((l) => !chain.includes(l));
  if (extra.length > 0) throw new RolloutError(`model version ${target} has no sub-model for layer ${extra.join(', ')} (its placement: ${chain.join(' → ')}); nothing was changed`);
  const clusterOf = (layer: string): Kafka => opts.clusters[layer] ?? opts.shared!;
  // Every chunk of every layer, on the cluster that layer loads from: a missing or corrupt one fails here, naming it.
  for (const layer of chain) {
    try {
      await readLayerFiles(clusterOf(layer), registryTopic, target, layer);
    } catch (e) {
      throw new RolloutError(`${(e as Error).message} (registry of layer ${layer}'s cluster); nothing was changed`);
    }
  }

  for (const layer of chain) {
    await ensureCompactedTopic(clusterOf(layer), controlTopic, CONTROL_TOPIC_CONFIGS);
    await ensureCompactedTopic(clusterOf(layer), rolloutTopic, ROLLOUT_TOPIC_CONFIGS);
  }
  const state = new Map<string, LayerState>();
  for (const layer of chain) {
    const kafka = clusterOf(layer);
    const records = await readCompacted(kafka, controlTopic, (k) => k === controlKey('models', layer));
    const raw = records.get(controlKey('models', layer));
    const control = raw ? (decodeControlRecord(controlKey('models', layer), raw).value as LayerModels | null) : null;
    state.set(layer, { layer, kafka, control, statuses: [] });
  }
  // Every layer must have running workers that report (they report every few seconds once the rollout topic exists).
  await waitUntil(`workers of ${chain.join(', ')} to report on ${rolloutTopic}`, Math.min(loadTimeoutMs, 30_000), pollMs, async () => {
    const silent: string[] = [];
    for (const s of state.values()) {
      const live = await refresh(s, rolloutTopic);
      if (live.length === 0 || live.some((r) => !r.status)) silent.push(`${s.layer} (${live.length === 0 ? 'no worker reports' : waitingFor(live.filter((r) => !r.status), target).join('; ')})`);
    }
    return silent.length === 0 ? null : `not reporting: ${silent.join(', ')}`;
  });

  const first = state.get(chain[0])!;
  const firstLive = await refresh(first, rolloutTopic);
  const emitting = [...new Set([...(first.control ? [first.control.active] : []), ...firstLive.map((r) => r.status!.active)])];
  const registered = new Set<string>();
  for (const v of [target, ...emitting, ...[...state.values()].flatMap((s) => s.control?.serve ?? [])]) {
    if ((await listVersions(first.kafka, registryTopic)).versions.has(v)) registered.add(v);
  }
  const unchanged = emitting.length === 1 && emitting[0] === target && chain.slice(1).every((l) => {
    const c = state.get(l)!.control;
    return c !== null && c.serve.length === 1 && c.serve[0] === target;
  });
  if (unchanged) {
    log(`every layer already serves only ${target}: nothing to do`);
    return { target, from: emitting, chain, outcome: 'unchanged', timings: { loaded: 0, switched: 0, drained: 0, retired: 0 } };
  }
  const plan = planRollout({
    chain,
    target,
    emitting,
    current: Object.fromEntries([...state.values()].map((s) => [s.layer, s.control])),
    inRegistry: registered,
    issuedAt: Date.now(),
    by: opts.by ?? 'pipeline rollout',
  });
  log(`${'rollback' in opts.target ? 'rollback' : 'rollout'} ${emitting.join(', ')} → ${target} over ${chain.join(' → ')}`);

  // ── 1. load everywhere (active unchanged) ─────────────────────────────────────────────────────────────────────────────
  await writeControl(state, plan.load, controlTopic);
  for (const w of plan.load) {
    await waitForReplicas(state.get(w.layer)!, rolloutTopic, target, {}, loadTimeoutMs, pollMs, `layer ${w.layer} to load ${target}`);
    log(`1/3 ${w.layer}: every replica serves ${w.value.serve.join(' + ')}`);
  }
  const loaded = Date.now() - t0;

  // ── 2. switch the first layer ──────────────────────────────────────────────────────────────────────
  await writeControl(state, [plan.switch], controlTopic);
  await waitForReplicas(first, rolloutTopic, target, { active: true, only: true }, loadTimeoutMs, pollMs, `layer ${first.layer} to switch to ${target}`);
  log(`2/3 ${first.layer}: every replica serves ${target} only (new requests are pinned to it)`);
  const switched = Date.now() - t0;

  // ── 3. drain, layer by layer in chain order, then retire ──────────────────────────────────────────────
  for (const layer of chain) await waitForDrain(state.get(layer)!, rolloutTopic, opts.drainTimeoutMs ?? 120_000, pollMs, emitting);
  log(`3/3 drained: no record of ${emitting.filter((v) => v !== target).join(', ') || '(none)'} left in flight`);
  const drainedAt = Date.now() - t0;
  await writeControl(state, plan.retire, controlTopic);
  for (const w of plan.retire) {
    await waitForReplicas(state.get(w.layer)!, rolloutTopic, target, { active: true, only: true }, loadTimeoutMs, pollMs, `layer ${w.layer} to retire the old versions`);
    log(`3/3 ${w.layer}: serves ${target} only`);
  }
  const retired = Date.now() - t0;
  await writeHistory(given, rolloutTopic, historyAfter ?? nextHistory(history, emitting.find((v) => v !== target), target));
  return { target, from: emitting, chain, outcome: 'done', timings: { loaded, switched, drained: drainedAt, retired } };
}

/** Reads the layer's replica statuses and its group's members; returns the live replicas. */
async function refresh(s: LayerState, rolloutTopic: string): Promise<ReturnType<typeof liveReplicas>> {
  const prefix = `replica/${s.layer}/`;
  const records = await readCompacted(s.kafka, rolloutTopic, (k) => k.startsWith(prefix));
  s.statuses = [...records.values()].flatMap((v) => {
    const p = ReplicaStatus.safeParse(parseJson(v));
    return p.success ? [p.data] : []; // not a status this version understands: that replica counts as silent
  });
  const groups = [...new Set(s.statuses.map((x) => x.groupId))];
  if (groups.length === 0) return [];
  const members = await withAdmin(s.kafka, async (admin) => {
    const described = await admin.describeGroups(groups);
    return described.groups.flatMap((g) => g.members.map((m): Member => ({ memberId: m.memberId, clientId: m.clientId })));
  });
  return liveReplicas(members, s.statuses);
}

async function waitForReplicas(
  s: LayerState,
  rolloutTopic: string,
  version: string,
  want: { active?: boolean; only?: boolean },
  timeoutMs: number,
  pollMs: number,
  what: string,
): Promise<void> {
  const since = Date.now();
  await waitUntil(what, timeoutMs, pollMs, async () => {
    const live = await refresh(s, rolloutTopic);
    if (live.length === 0) return `layer ${s.layer} has no running replica`;
    const failed = live.find((r) => r.status?.error && r.status.at >= since && !r.status.loaded.includes(version));
    if (failed) throw new RolloutError(`layer ${s.layer}, replica ${failed.member.clientId}: ${failed.status!.error}; it keeps serving ${failed.status!.loaded.join(', ')}`);
    const waiting = waitingFor(live, version, want);
    return waiting.length === 0 ? null : `waiting for ${waiting.join('; ')}`;
  });
}

/** Waits until the layer's group has settled every record its input held when the wait began. */
async function waitForDrain(s: LayerState, rolloutTopic: string, timeoutMs: number, pollMs: number, old: readonly string[]): Promise<void> {
  await refresh(s, rolloutTopic);
  const inputs = [...new Map(s.statuses.map((x) => [`${x.groupId}\u0000${x.inputTopic}`, x])).values()];
  for (const { groupId, inputTopic } of inputs) {
    const targets = await withAdmin(s.kafka, (a) => a.fetchTopicOffsets(inputTopic));
    await waitUntil(`layer ${s.layer} (group ${groupId}) to settle what ${inputTopic} held at the switch (old version ${old.join(', ')}); the old version stays served: run the rollout again to finish`, timeoutMs, pollMs, async () => {
      const [committed] = await withAdmin(s.kafka, (a) => a.fetchOffsets({ groupId, topics: [inputTopic] }));
      return drained(committed?.partitions ?? [], targets) ? null : 'records of the old version may still be in flight';
    });
  }
}

async function writeControl(state: ReadonlyMap<string, LayerState>, writes: readonly ControlWrite[], topic: string): Promise<void> {
  for (const w of writes) {
    LayerModels.parse(w.value); // never write a record the workers would reject
    const producer = state.get(w.layer)!.kafka.producer({ ...LOW_LATENCY_PRODUCER });
    await producer.connect();
    try {
      await producer.send({ topic, acks: ACKS_ALL, messages: [{ key: controlKey('models', w.layer), value: encodeControlValue(w.value) }] });
    } finally {
      await producer.disconnect();
    }
  }
}

async function readHistory(clusters: Readonly<Record<string, Kafka>>, topic: string): Promise<string[]> {
  let best: RolloutHistory | null = null;
  for (const kafka of Object.values(clusters)) {
    let raw: Buffer | undefined;
    try {
      raw = (await readCompacted(kafka, topic, (k) => k === HISTORY_KEY)).get(HISTORY_KEY);
    } catch {
      continue; // no rollout topic there yet
    }
    const p = raw ? RolloutHistory.safeParse(parseJson(raw)) : null;
    if (p?.success && (!best || p.data.at > best.at)) best = p.data;
  }
  return best?.versions ?? [];
}

/** The history goes to every layer's cluster: any one of them answers the next rollback. */
async function writeHistory(clusters: Readonly<Record<string, Kafka>>, topic: string, versions: string[]): Promise<void> {
  const value = JSON.stringify(RolloutHistory.parse({ versions, at: Date.now() }));
  for (const kafka of new Set(Object.values(clusters))) {
    await ensureCompactedTopic(kafka, topic, ROLLOUT_TOPIC_CONFIGS);
    const producer = kafka.producer({ ...LOW_LATENCY_PRODUCER });
    await producer.connect();
    try {
      await producer.send({ topic, acks: ACKS_ALL, messages: [{ key: HISTORY_KEY, value }] });
    } finally {
      await producer.disconnect();
    }
  }
}

function parseJson(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    return undefined;
  }
}

async function withAdmin<T>(kafka: Kafka, f: (a: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await f(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Polls `check` (null = done, else what it still waits for) until done or the timeout, which names the wait. */
async function waitUntil(what: string, timeoutMs: number, pollMs: number, check: () => Promise<string | null>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = await check();
    if (pending === null) return;
    if (Date.now() >= deadline) throw new RolloutError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}: ${pending}`);
    await sleep(pollMs);
  }
}
