/**
 * The live view's server: scrapes every worker replica's /metrics once per interval, takes the devices' answers as
 * they arrive, and pushes a snapshot to every open page over server-sent events. Listens on 127.0.0.1 only and
 * serves Vega's browser builds from node_modules, so the page makes no request elsewhere.
 */
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { DeviceRecord } from '../../contracts/records';
import { liveCharts, livePage, VENDOR_SCRIPTS } from './page';
import { parsePrometheusText } from './prometheus';
import { LiveState, type LiveOptions, type Snapshot } from './state';

/** A worker replica's metrics endpoint, e.g. `{ name: 'edge-0', url: 'http://127.0.0.1:41234/metrics' }`. */
export interface MetricsTarget {
  readonly name: string;
  readonly url: string;
}

export interface LiveViewOptions extends LiveOptions {
  /** the replicas to scrape, asked again on every tick (replicas come, go and restart) */
  readonly targets: () => readonly MetricsTarget[];
  /** @default 0: any free port */
  readonly port?: number;
  /** @default 1000 */
  readonly intervalMs?: number;
  /** @default 'continuum-ddnn live view' */
  readonly title?: string;
  /** per-scrape timeout. @default 800 */
  readonly scrapeTimeoutMs?: number;
}

export interface LiveView {
  /** the page, http://127.0.0.1:<port>/ */
  readonly url: string;
  /** feed a device's answered record (DeviceFleetOptions.onProgress) */
  addRecord(r: DeviceRecord): void;
  latest(): Snapshot | null;
  close(): Promise<void>;
}

/** Each vendor script's path: the packages' own browser builds, next to their main entry. */
function vendorFiles(): Map<string, string> {
  const pkg: Record<(typeof VENDOR_SCRIPTS)[number], string> = { 'vega.min.js': 'vega', 'vega-lite.min.js': 'vega-lite', 'vega-embed.min.js': 'vega-embed' };
  return new Map(VENDOR_SCRIPTS.map((f) => [f, path.join(path.dirname(require.resolve(pkg[f])), f)]));
}

async function scrape(url: string, timeoutMs: number) {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return parsePrometheusText(await res.text());
}

export async function startLiveView(options: LiveViewOptions): Promise<LiveView> {
  const started = Date.now();
  const state = new LiveState(started, options);
  const page = livePage(options.title ?? 'continuum-ddnn live view', liveCharts(options.panels));
  const vendor = vendorFiles();
  const clients = new Set<ServerResponse>();
  let latest: Snapshot | null = null;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
    } else if (url.pathname.startsWith('/vendor/') && vendor.has(url.pathname.slice(8))) {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(readFileSync(vendor.get(url.pathname.slice(8))!));
    } else if (url.pathname === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write('retry: 1000\n\n');
      if (latest) res.write(`data: ${JSON.stringify(latest)}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
    } else if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
    } else if (url.pathname === '/snapshot.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(latest));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });

  const intervalMs = options.intervalMs ?? 1000;
  let stopped = false;
  let ticking: Promise<void> | null = null;
  const tick = async () => {
    const targets = options.targets();
    await Promise.all(
      targets.map(async (t) => {
        const result = await scrape(t.url, options.scrapeTimeoutMs ?? Math.min(800, intervalMs)).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
        state.addScrape(t, Date.now(), result);
      }),
    );
    latest = state.tick(Date.now());
    const message = `data: ${JSON.stringify(latest)}\n\n`;
    for (const c of clients) c.write(message);
  };
  const timer = setInterval(() => {
    // A slow scrape skips a tick rather than piling them up.
    if (stopped || ticking) return;
    ticking = tick().finally(() => (ticking = null));
  }, intervalMs);

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    addRecord: (r) => state.addRecord(r),
    latest: () => latest,
    async close() {
      stopped = true;
      clearInterval(timer);
      await ticking;
      for (const c of clients) c.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
