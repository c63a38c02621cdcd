/**
 * `npm run dashboard -- --metrics <url,…>`: the live view attached to workers that already run (started by hand,
 * by another main job, or port-forwarded from a cluster). It draws the workers' panels; the devices' response
 * times need the main job (`npm start -- run --live`), which feeds their records in.
 */
import { Command } from 'commander';
import { startLiveView, type MetricsTarget } from './server';

export function parseTargets(list: string): MetricsTarget[] {
  const urls = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (urls.length === 0) throw new Error('--metrics needs at least one URL');
  return urls.map((raw) => {
    let url: URL;
    try {
      url = new URL(/^https?:\/\//.test(raw) ? raw : `http://${raw}`);
    } catch {
      throw new Error(`--metrics: not a URL: ${JSON.stringify(raw)}`);
    }
    if (url.pathname === '/') url.pathname = '/metrics';
    return { name: url.host, url: url.toString() };
  });
}

async function main(): Promise<void> {
  const o = new Command('dashboard')
    .description('live view of running workers: their /metrics, scraped once a second, on a page at 127.0.0.1')
    .requiredOption('--metrics <urls>', 'comma-separated worker metrics endpoints (host:port or http://host:port/metrics)')
    .option('--port <n>', 'port of the page (default: any free port)', '0')
    .parse()
    .opts<{ metrics: string; port: string }>();
  const port = Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be within 0..65535, not ${o.port}`);
  const targets = parseTargets(o.metrics);
  const view = await startLiveView({ port, targets: () => targets, title: 'continuum-ddnn live view' });
  process.stdout.write(`live view: ${view.url} (${targets.length} worker(s); Ctrl-C stops it)\n`);
  const stop = () => void view.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`dashboard: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  });
}
