/** Liveness, readiness and Prometheus metrics over HTTP: /healthz, /readyz, /metrics. */
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { Registry } from 'prom-client';

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface HealthProbes {
  /** the process can make progress (the consumer has not crashed for good) */
  live(): boolean;
  /** the worker takes requests: model loaded, consumer in its group, not stopping */
  ready(): boolean;
}

export async function startHealthServer(port: number, registry: Registry, probes: HealthProbes): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (url === '/healthz') return probes.live() ? reply(200, 'ok\n') : reply(503, 'consumer crashed\n');
    if (url === '/readyz') return probes.ready() ? reply(200, 'ready\n') : reply(503, 'not ready\n');
    if (url === '/metrics') {
      registry.metrics().then(
        (body) => reply(200, body, registry.contentType),
        (e: Error) => reply(500, `${e.message}\n`),
      );
      return;
    }
    reply(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
