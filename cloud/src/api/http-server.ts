import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import type { Hono } from 'hono';

export interface HttpListener {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves the API; a port in use is named with the way to choose another. */
export async function listenHttp(app: Hono, host: string, port: number): Promise<HttpListener> {
  let http: ServerType | undefined;
  await new Promise<void>((resolve, reject) => {
    http = serve({ fetch: app.fetch, hostname: host, port }, () => resolve());
    (http as unknown as Server).once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} is in use; choose another with http.port or --http-port`) : error),
    );
  });
  const server = http as unknown as HttpServer;
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Dashboards hold their event streams open: close() alone would wait for them forever.
        server.closeAllConnections();
      }),
  };
}
