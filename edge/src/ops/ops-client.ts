import type { GatewayConfig } from '../config/gateway-config.js';

/** How often `dead-letters --tail` and `late --tail` ask for new records. */
export const tailIntervalMs = 1000;

/** A running gateway's ops port, from --url or the config's ops.host and ops.port: a JSON GET. */
export function opsClient(config: GatewayConfig, url?: string) {
  const host = config.ops.host === '0.0.0.0' || config.ops.host === '::' ? '127.0.0.1' : config.ops.host;
  if (!url && config.ops.port === 0)
    throw new Error('ops.port is 0 (a free port picked at start): pass --url http://<host>:<port> as the gateway logged it');
  const base = url ?? `http://${host}:${config.ops.port}`;
  return async <T>(path: string): Promise<T> => {
    const response = await fetch(`${base}${path}`).catch((error: Error) => {
      throw new Error(`no gateway answers at ${base} (${error.cause ?? error.message}); start it, or pass --url`);
    });
    const body = (await response.json().catch(() => ({}))) as T & { error?: string };
    if (!response.ok) throw new Error(`${path.split('?')[0]}: ${body.error ?? response.statusText}`);
    return body;
  };
}

interface Page {
  records: { id: number }[];
}

/**
 * Prints the newest records of a bounded store as JSON lines; with `follow`, keeps asking for
 * those after the last one printed, like `tail -f`, until the process is stopped.
 */
export async function printRecords(
  get: <T>(path: string) => Promise<T>,
  route: string,
  limit: number,
  follow: boolean,
  print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<void> {
  let lastId: number | undefined;
  for (;;) {
    const query = lastId === undefined ? `limit=${limit}` : `after=${lastId}&limit=1000`;
    const { records } = await get<Page>(`${route}?${query}`);
    for (const record of records) print(JSON.stringify(record));
    if (records.length > 0) lastId = records[records.length - 1].id;
    if (!follow) return;
    await new Promise((resolve) => setTimeout(resolve, tailIntervalMs));
  }
}
