import { describeIssues } from '@fogline/shared';
import type { Hono } from 'hono';
import { z } from 'zod';
import { type CommandService, commandExpiryMsDefault, commandExpiryMsMax } from '../commands/command-service.js';
import type { parseQuery } from './query-parser.js';
import { commandsQuery } from './query-schemas.js';

export const commandBody = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'a command name of letters, digits, _ . : - (at most 64)'),
  args: z.record(z.string(), z.unknown()).default({}),
  expiresInMs: z.number().int().min(1000).max(commandExpiryMsMax, `at most ${commandExpiryMsMax} (7 days)`).default(commandExpiryMsDefault),
});

/**
 *   POST /api/v1/devices/:deviceId/commands   {"name": "service", "args": {...}, "expiresInMs": 3600000}  -> 202 the command
 *   GET  /api/v1/devices/:deviceId/commands   the device's commands, newest first, each with its status
 *   GET  /api/v1/commands/:commandId          one command and where it stands
 */
export function addCommandRoutes(app: Hono, parse: typeof parseQuery, commands: CommandService | undefined): void {
  app.post('/api/v1/devices/:deviceId/commands', async (c) => {
    if (!commands) return c.json({ error: 'this API sends no commands' }, 404);
    const body = await c.req.json().catch(() => undefined);
    const parsed = commandBody.safeParse(body);
    if (!parsed.success) return c.json({ errors: describeIssues(body, parsed.error.issues) }, 400);
    const deviceId = c.req.param('deviceId');
    const { name, args, expiresInMs } = parsed.data;
    const command = await commands.send(deviceId, name, args, expiresInMs);
    if (!command)
      return c.json({ error: `no device ${deviceId} in any gateway's registry: a command needs the gateway to send it through` }, 404);
    return c.json(command, 202);
  });
  app.get('/api/v1/devices/:deviceId/commands', async (c) => {
    if (!commands) return c.json({ error: 'this API sends no commands' }, 404);
    const query = parse(commandsQuery, c.req.query());
    if (!query.ok) return c.json({ errors: query.errors }, 400);
    return c.json({ commands: await commands.ofDevice(c.req.param('deviceId'), query.value.limit) });
  });
  app.get('/api/v1/commands/:commandId', async (c) => {
    const command = await commands?.get(c.req.param('commandId'));
    if (!command) return c.json({ error: `no command ${c.req.param('commandId')}` }, 404);
    return c.json(command);
  });
}
