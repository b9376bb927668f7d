import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** `/healthz` (alive), `/readyz` (doing its job), `/metrics` (Prometheus) for a long-running process. */
export async function serveHealth(options: {
  port: number;
  host?: string;
  registry: Registry;
  ready: () => boolean;
}): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else if (path === '/readyz') {
      const ready = options.ready();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ready }));
    } else if (path === '/metrics') {
      void options.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': options.registry.contentType }).end(text);
      });
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port, options.host ?? '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}
