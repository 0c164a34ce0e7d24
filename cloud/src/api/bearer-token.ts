import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { openApiPaths } from './docs-routes.js';
import { isAdminRoute } from './openapi.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Whether the request carries the token, in its Authorization header or (for the events stream,
 * which a browser's EventSource cannot give a header) its query. Compared in constant time over
 * digests, so neither the token's content nor its length leaks through timing.
 */
export function bearerMatches(authorization: string | undefined, queryToken: string | undefined, token: string): boolean {
  const expected = digest(token);
  const header = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
  const headerOk = header !== undefined && timingSafeEqual(digest(header), expected);
  const queryOk = queryToken !== undefined && timingSafeEqual(digest(queryToken), expected);
  return headerOk || queryOk;
}

/** The API's two tokens: read (GET routes and SQL: dashboards, Grafana, scripts) and admin (every route). */
export interface ApiTokens {
  readonly read?: string;
  readonly admin?: string;
}

/**
 * Guards /api/v1: without any token the API is open (the config refuses that beyond
 * loopback). The admin token passes everywhere; the read token everywhere but the routes
 * that change something (marked admin in openapi.ts), which answer it 403.
 */
export function bearerCheck({ read, admin }: ApiTokens): MiddlewareHandler {
  return async (c, next) => {
    if ((read === undefined && admin === undefined) || openApiPaths.has(c.req.path)) return next();
    // A browser's EventSource cannot set a header: the events stream alone takes the token
    // as ?access_token= (RFC 6750, 2.3).
    const queryToken = c.req.path === '/api/v1/events' ? c.req.query('access_token') : undefined;
    const header = c.req.header('authorization');
    const presents = (token: string | undefined) => token !== undefined && bearerMatches(header, queryToken, token);
    if (presents(admin)) return next();
    if (presents(read)) {
      if (!isAdminRoute(c.req.method, c.req.path)) return next();
      return c.json({ error: `${c.req.method} ${c.req.path} needs the admin token (http.adminToken); the read token only reads` }, 403);
    }
    return c.json({ error: 'missing or wrong bearer token: send Authorization: Bearer <http.readToken or http.adminToken>' }, 401);
  };
}
