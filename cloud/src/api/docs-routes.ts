import { createRequire } from 'node:module';
import type { Hono } from 'hono';
import { openApiDocument } from './openapi.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** Paths the bearer token does not guard: what describes the API, not its data. */
export const openApiPaths = new Set(['/api/v1/openapi.json', '/api/v1/docs']);

// A page of its own (no CDN: gateways' networks are often closed) that lists every operation
// with its parameters, read from the document itself.
const docsPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fogline cloud API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .2rem}
h2{font-size:1rem;margin:1.5rem 0 .2rem}table{border-collapse:collapse}td{padding:.1rem .6rem .1rem 0;vertical-align:top}</style></head>
<body><h1>fogline cloud API</h1><p>The OpenAPI 3.1 document: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.
Routes under /api/v1 need <code>Authorization: Bearer &lt;token&gt;</code> when the cloud has tokens: http.readToken for reads, http.adminToken for every route.</p><main id="ops"></main>
<script type="module">
const doc = await (await fetch('/api/v1/openapi.json')).json();
const text = (s) => document.createTextNode(String(s));
const main = document.getElementById('ops');
for (const [path, item] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(item)) {
  const h = document.createElement('h2'); h.append(text(method.toUpperCase() + ' ' + path)); main.append(h);
  const p = document.createElement('p'); p.append(text(op.summary)); main.append(p);
  if (!op.parameters?.length) continue;
  const table = document.createElement('table');
  for (const parameter of op.parameters) {
    const row = table.insertRow();
    const s = parameter.schema ?? {};
    for (const cell of [parameter.name, parameter.in + (parameter.required ? ', required' : ''), s.type ?? (s.anyOf ? 'one of several' : ''), s.enum ? s.enum.join(' | ') : s.pattern ?? '', s.default !== undefined ? 'default ' + s.default : ''])
      row.insertCell().append(text(cell));
  }
  main.append(table);
}
</script></body></html>`;

/**
 *   GET /api/v1/openapi.json   the API's OpenAPI 3.1 document, generated from the routes' zod schemas
 *   GET /api/v1/docs           the same as a page
 */
export function addDocsRoutes(app: Hono): void {
  const document = openApiDocument(version);
  app.get('/api/v1/openapi.json', (c) => c.json(document));
  app.get('/api/v1/docs', (c) => c.html(docsPage));
}
