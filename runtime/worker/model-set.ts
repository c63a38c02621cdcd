/**
 * The model versions one worker serves (issue 12's rollout): `active` serves records without a model version (raw
 * images on the first layer); every version in the set serves features that carry it. A models record from the
 * control topic loads the versions it adds while the current ones keep serving, then swaps in one synchronous step;
 * a version dropped from the set is disposed only once the records that were routed to it have been predicted.
 */
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { LayerModels } from '../../contracts/control';
import type { SubModelManifest } from '../../contracts/manifest';
import type { SubModel } from '../tf/sub-model';

export interface ServedModel {
  readonly version: string;
  readonly model: SubModel;
  readonly manifest: SubModelManifest;
  /** records routed to this version and not yet predicted */
  pending: number;
  retired: boolean;
  /** false for a sub-model the caller shares (the main job's): never disposed here */
  owned: boolean;
}

export interface ModelSetOptions {
  layer: string;
  /** loads `version` of this layer from `source` (a registry reference, a path or a URL) */
  load(version: string, source: string): Promise<SubModel>;
  /** checks a loaded sub-model fits this worker's topics (throws naming what does not) */
  check(manifest: SubModelManifest): void;
  log: Logger;
  registry: Registry;
  /** called synchronously in the swap: whoever screens records by version sees the new set before the next record */
  onChange?: () => void;
}

export class ModelSet {
  private readonly served = new Map<string, ServedModel>();
  private activeVersion: string;
  private readonly loadedGauge: Gauge<'version'>;
  private readonly activeGauge: Gauge<'version'>;
  /** the last models record that could not be applied, with why */
  lastError: string | undefined;

  constructor(
    initial: SubModel,
    ownsInitial: boolean,
    private readonly opts: ModelSetOptions,
  ) {
    const v = initial.manifest.modelVersion;
    this.served.set(v, { version: v, model: initial, manifest: initial.manifest, pending: 0, retired: false, owned: ownsInitial });
    this.activeVersion = v;
    this.loadedGauge = new Gauge({ name: 'ddnn_model_loaded', help: '1 for each model version this replica serves', labelNames: ['version'], registers: [opts.registry] });
    this.activeGauge = new Gauge({ name: 'ddnn_model_active', help: '1 for the version serving records without a model version', labelNames: ['version'], registers: [opts.registry] });
    this.show();
  }

  get active(): ServedModel {
    return this.served.get(this.activeVersion)!;
  }

  /** the version serving `version`'s features, or undefined when this layer does not serve it */
  get(version: string): ServedModel | undefined {
    return this.served.get(version);
  }

  versions(): string[] {
    return [...this.served.keys()];
  }

  /** every served version's manifest (for screening records: route.ts' AcceptRules.served) */
  manifests(): Map<string, SubModelManifest> {
    return new Map([...this.served.values()].map((m) => [m.version, m.manifest]));
  }

  /** A record is routed to `m`: it stays loaded until release. */
  acquire(m: ServedModel): void {
    m.pending++;
  }

  release(m: ServedModel): void {
    m.pending--;
    if (m.retired && m.pending <= 0) this.dispose(m);
  }

  /**
   * Applies a models record: loads what it adds (all or nothing: on any failure the set is unchanged and the error
   * names the version), then swaps. A tombstone (null) keeps the current set.
   */
  async apply(record: LayerModels | null): Promise<void> {
    if (record === null) {
      this.opts.log.info({ event: 'models-cleared', serving: this.versions(), active: this.activeVersion }, 'models record cleared: keeping the versions served now');
      return;
    }
    const added: ServedModel[] = [];
    try {
      for (const version of record.serve) {
        if (this.served.has(version)) continue;
        const source = record.sources?.[version];
        if (!source) throw new Error(`model version ${version} is not loaded on layer ${this.opts.layer} and the models record gives no source for it`);
        const t0 = Date.now();
        const model = await this.opts.load(version, source);
        added.push({ version, model, manifest: model.manifest, pending: 0, retired: false, owned: true });
        if (model.manifest.modelVersion !== version || model.manifest.layer !== this.opts.layer) {
          throw new Error(`${source}: holds ${model.manifest.layer}@${model.manifest.modelVersion}, not ${this.opts.layer}@${version}`);
        }
        this.opts.check(model.manifest);
        this.opts.log.info({ event: 'model-loaded', version, source, ms: Date.now() - t0 }, `model version ${version} loaded`);
      }
    } catch (e) {
      for (const m of added) m.model.dispose();
      this.lastError = (e as Error).message;
      throw e;
    }
    // The swap: synchronous, so no record is routed between the old and the new set.
    for (const m of added) this.served.set(m.version, m);
    const keep = new Set(record.serve);
    for (const m of [...this.served.values()]) {
      if (keep.has(m.version)) continue;
      this.served.delete(m.version);
      m.retired = true;
      if (m.pending <= 0) this.dispose(m);
    }
    const before = this.activeVersion;
    this.activeVersion = record.active;
    this.lastError = undefined;
    this.opts.onChange?.();
    this.show();
    this.opts.log.info({ event: 'models-applied', active: record.active, before, serving: this.versions(), by: record.by, reason: record.reason }, 'model versions changed');
  }

  /** Disposes every version (stopping): pending records are not predicted any more. */
  disposeAll(): void {
    for (const m of this.served.values()) if (m.owned) m.model.dispose();
    this.served.clear();
  }

  private dispose(m: ServedModel): void {
    if (m.owned) m.model.dispose();
    this.opts.log.info({ event: 'model-disposed', version: m.version }, `model version ${m.version} disposed`);
  }

  private show(): void {
    this.loadedGauge.reset();
    this.activeGauge.reset();
    for (const v of this.served.keys()) this.loadedGauge.set({ version: v }, 1);
    this.activeGauge.set({ version: this.activeVersion }, 1);
  }
}
