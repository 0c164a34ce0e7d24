import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A read-only JSON route of the ops port: its answer from the query string. */
export type OpsRoute = (query: URLSearchParams) => Promise<unknown> | unknown;

/**
 * /metrics (Prometheus text), /healthz (JSON) and the operator's JSON routes (devices, dead
 * letters, late readings). A handful of GET routes need no framework; node:http keeps the
 * gateway's footprint small. The port binds to ops.host (loopback by default): it answers
 * without a token, as Prometheus scrapes it.
 */
export async function startOpsServer(
  host: string,
  port: number,
  registry: Registry,
  health: () => Record<string, unknown>,
  routes: Readonly<Record<string, OpsRoute>> = {},
): Promise<Server> {
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://ops');
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    try {
      const route = routes[url.pathname];
      if (url.pathname === '/metrics') {
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(await registry.metrics());
      } else if (url.pathname === '/healthz') json(200, { status: 'ok', ...health() });
      else if (route) json(200, await route(url.searchParams));
      else json(404, { error: `no route ${url.pathname}; try ${['/metrics', '/healthz', ...Object.keys(routes)].join(', ')}` });
    } catch (error) {
      json(error instanceof RangeError ? 400 : 500, { error: (error as Error).message });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** A non-negative integer query parameter, its default when absent; a RangeError (400) naming it otherwise. */
export function integerParam(query: URLSearchParams, name: string, defaultValue: number | undefined, max = Number.MAX_SAFE_INTEGER) {
  const text = query.get(name);
  if (text === null || text === '') return defaultValue;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw new RangeError(`${name} was ${JSON.stringify(text)}, expected an integer from 0 to ${max}`);
  return value;
}

export function portOf(server: { address(): AddressInfo | string | null }): number {
  return (server.address() as AddressInfo).port;
}
