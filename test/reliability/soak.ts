/**
 * Soak: a sustained stream through real workers for several minutes, with each worker process's heap and RSS
 * sampled, to show memory stays flat. `npm run soak -- --minutes 5 --rate 20`.
 *
 * One local broker, an edge and a cloud worker as real processes (runtime/worker/main.ts, the tiny test model),
 * 4 devices at a fixed total rate. Heap comes from each worker's /metrics, RSS from /proc. After a warm-up, the
 * least-squares slope of heap and RSS (MiB per minute) is reported; results/reliability/soak.{json,svg}.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { cpus, tmpdir } from 'os';
import * as path from 'path';
import { Command } from 'commander';
import { renderSvg } from '../../runtime/charts/render';
import { lineChart } from '../../runtime/charts/specs';
import { startCluster } from '../../runtime/kafka/cluster';
import { runDevices } from '../../runtime/devices/simulator';
import { metricSum, prepareTinyModel, REPO, scrapeMetrics, sleep, spawnWorker, type WorkerChild } from './harness';

interface Sample {
  /** seconds since the stream started */
  t: number;
  worker: string;
  heapMiB: number;
  rssMiB: number;
  requests: number;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Least-squares slope of y over x. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/** Heap (solid) and RSS (dashed) per worker over time; the warm-up left out of the slopes is in the x label. */
function memoryChart(samples: readonly Sample[], workers: readonly string[], warmupS: number) {
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];
  return lineChart({
    title: 'Soak: worker memory over time (MiB)',
    xLabel: `seconds (slopes after the ${warmupS} s warm-up)`,
    yLabel: 'MiB',
    xAxis: { d3: 'd' },
    yAxis: { d3: ',.0f' },
    width: 560,
    height: 280,
    series: workers.flatMap((w, i) =>
      (['heapMiB', 'rssMiB'] as const).map((metric) => ({
        name: `${w} ${metric === 'heapMiB' ? 'heap' : 'RSS'}`,
        color: colors[i % colors.length],
        dashed: metric === 'rssMiB',
        points: samples.filter((s) => s.worker === w).map((s) => ({ x: s.t, y: s[metric] })),
      })),
    ),
  });
}

async function main(): Promise<void> {
  const o = new Command('soak')
    .option('--minutes <n>', 'stream duration', Number, 5)
    .option('--rate <perSecond>', 'total requests per second (4 devices)', Number, 20)
    .option('--sample-s <n>', 'seconds between samples', Number, 5)
    .option('--warmup-s <n>', 'samples before this are left out of the slope', Number, 60)
    .parse()
    .opts<{ minutes: number; rate: number; sampleS: number; warmupS: number }>();

  const dir = mkdtempSync(path.join(tmpdir(), 'ddnn-soak-'));
  process.stderr.write(`soak: ${o.minutes} min at ${o.rate} req/s; starting a broker and two worker processes…\n`);
  const model = await prepareTinyModel(dir, 256);
  const cluster = await startCluster({ name: 'soak' });
  const children: WorkerChild[] = [];
  try {
    await cluster.createTopics([{ name: 'edge-in', partitions: 2 }, { name: 'edge-in.dlq' }, { name: 'cloud-in', partitions: 2 }, { name: 'cloud-in.dlq' }]);
    const common = { DDNN_BROKERS: cluster.bootstrapServers, DDNN_THRESHOLD: String(model.threshold), DDNN_BATCH_MAX_WAIT_MS: '2', DDNN_LOG_LEVEL: 'info' };
    const edge = spawnWorker({ ...common, DDNN_MODEL: model.edge, DDNN_INPUT_TOPIC: 'edge-in', DDNN_NEXT_TOPIC: 'cloud-in', DDNN_CLIENT_ID: 'soak-edge' });
    const cloud = spawnWorker({ ...common, DDNN_MODEL: model.cloud, DDNN_INPUT_TOPIC: 'cloud-in', DDNN_CLIENT_ID: 'soak-cloud' });
    children.push(edge, cloud);
    await Promise.all([edge.joined, cloud.joined]);
    const workers = { edge, cloud };

    const devices = 4;
    const perDevice = o.rate / devices;
    const total = Math.round(o.minutes * 60 * o.rate);
    const images = Array.from({ length: total }, (_, i) => ({ ...model.images[i % model.images.length], id: i % model.images.length }));
    const samples: Sample[] = [];
    const t0 = Date.now();
    let streaming = true;
    const sampler = (async () => {
      while (streaming) {
        for (const [name, w] of Object.entries(workers)) {
          // The port is known once the worker logged `worker-started`, which may come after its group join.
          const port = w.httpPort();
          if (port === null) continue;
          const m = await scrapeMetrics(port);
          samples.push({
            t: (Date.now() - t0) / 1000,
            worker: name,
            heapMiB: metricSum(m, 'nodejs_heap_size_used_bytes') / 2 ** 20,
            rssMiB: rssMiB(w.pid),
            requests: metricSum(m, 'ddnn_requests_total'),
          });
        }
        const last = samples.slice(-2).map((s) => `${s.worker} heap ${s.heapMiB.toFixed(1)} RSS ${s.rssMiB.toFixed(1)} MiB, ${s.requests} req`);
        process.stderr.write(`  t=${((Date.now() - t0) / 1000).toFixed(0)}s  ${last.join(' | ')}\n`);
        await sleep(o.sampleS * 1000);
      }
    })();
    const result = await runDevices({
      brokers: cluster.bootstrapServers.split(','),
      requestTopic: 'edge-in',
      replyTopicPrefix: 'replies',
      devicePrefix: 'soak',
      devices,
      images,
      split: 'shard',
      mode: { kind: 'rate', perSecond: perDevice },
      timeoutMs: 60_000,
    }).finally(() => (streaming = false));
    await sampler;

    const answered = result.records.filter((r) => r.answeredAt !== null).length;
    const summary: Record<string, unknown> = {};
    for (const name of Object.keys(workers)) {
      const after = samples.filter((s) => s.worker === name && s.t >= o.warmupS);
      const heap = after.map((s) => ({ x: s.t / 60, y: s.heapMiB }));
      const rss = after.map((s) => ({ x: s.t / 60, y: s.rssMiB }));
      summary[name] = {
        samplesAfterWarmup: after.length,
        heapMiB: { first: after[0]?.heapMiB, last: after.at(-1)?.heapMiB, min: Math.min(...heap.map((p) => p.y)), max: Math.max(...heap.map((p) => p.y)), slopeMiBPerMin: slope(heap) },
        rssMiB: { first: after[0]?.rssMiB, last: after.at(-1)?.rssMiB, min: Math.min(...rss.map((p) => p.y)), max: Math.max(...rss.map((p) => p.y)), slopeMiBPerMin: slope(rss) },
      };
    }
    const out = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      config: { minutes: o.minutes, ratePerSecond: o.rate, devices, brokers: 1, partitions: 2, warmupS: o.warmupS, model: 'tiny-test', backend: /"backend":"(\w+)"/.exec(edge.log())?.[1] ?? 'unknown' },
      requests: { sent: result.records.length, answered, lost: result.records.length - answered, duplicated: result.duplicates, misrouted: result.foreign + result.unknown + result.malformed },
      wallS: (result.finishedAt - result.startedAt) / 1000,
      summary,
      samples,
    };
    const outDir = path.join(REPO, 'results', 'reliability');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, 'soak.json'), JSON.stringify(out, null, 2));
    writeFileSync(path.join(outDir, 'soak.svg'), await renderSvg(memoryChart(samples, Object.keys(workers), o.warmupS)));
    process.stdout.write(`${JSON.stringify({ requests: out.requests, wallS: out.wallS, summary }, null, 2)}\nwrote results/reliability/soak.json and soak.svg\n`);
  } finally {
    for (const c of children) {
      c.child.kill('SIGTERM');
      await c.exited;
    }
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`soak: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
