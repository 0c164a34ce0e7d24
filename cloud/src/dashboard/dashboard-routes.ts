import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono } from 'hono';

/** The page and its stylesheet, as committed (cloud/dashboard/public). */
const publicDir = fileURLToPath(new URL('../../dashboard/public/', import.meta.url));
/** The page's scripts, compiled from cloud/dashboard/src by the cloud's build. */
const appDir = fileURLToPath(new URL('../../dist/dashboard-app/', import.meta.url));
/** uPlot, served as installed: no bundler, no build step of the user's. */
const uplotDir = dirname(createRequire(import.meta.url).resolve('uplot'));

/**
 * The dashboard at /: a static page whose scripts read the same /api/v1 a user would, and
 * follow /api/v1/events for live updates. Served from the package's own folders, whatever the
 * working directory.
 */
export function addDashboardRoutes(app: Hono): void {
  const from = (root: string, prefix: string) => serveStatic({ root, rewriteRequestPath: (path) => path.slice(prefix.length) });
  app.get('/assets/app/*', from(appDir, '/assets/app'));
  app.get('/assets/uplot/*', from(uplotDir, '/assets/uplot'));
  app.get('/assets/*', from(publicDir, '/assets'));
  app.get(
    '/',
    async (c, next) => {
      if (!existsSync(appDir)) return c.text('the dashboard is not built: run npm run build (npm start does it)', 503);
      await next();
    },
    serveStatic({ root: publicDir, path: 'index.html' }),
  );
}
