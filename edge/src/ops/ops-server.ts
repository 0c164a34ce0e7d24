import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/**
 * /metrics (Prometheus text) and /healthz (JSON). Two routes need no framework; node:http
 * keeps the gateway's footprint small.
 */
export async function startOpsServer(
  host: string,
  port: number,
  registry: Registry,
  health: () => Record<string, unknown>,
): Promise<Server> {
  const server = createServer(async (request, response) => {
    try {
      if (request.url === '/metrics') {
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(await registry.metrics());
      } else if (request.url === '/healthz') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ status: 'ok', ...health() }));
      } else {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: `no route ${request.url}; try /metrics or /healthz` }));
      }
    } catch (error) {
      response.writeHead(500).end(String(error));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

export function portOf(server: { address(): AddressInfo | string | null }): number {
  return (server.address() as AddressInfo).port;
}
