import { existsSync, readFileSync } from 'node:fs';

/**
 * Reads device secrets as the gateway issues them: the JSON lines `fogline-gateway devices add`
 * and `devices import` print ({"deviceId", "secret", ...}), or a JSON array of such objects.
 */
export function readDeviceSecrets(path: string): Map<string, string> {
  if (!existsSync(path)) throw new Error(`credentials file ${path} does not exist; create it with fogline-sim provision`);
  const text = readFileSync(path, 'utf8').trim();
  const secrets = new Map<string, string>();
  if (text === '') return secrets;
  let entries: unknown[];
  try {
    entries = text.startsWith('[')
      ? (JSON.parse(text) as unknown[])
      : text
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line));
  } catch (error) {
    throw new Error(`credentials file ${path} is not JSON lines or a JSON array (${(error as Error).message})`);
  }
  for (const [i, entry] of entries.entries()) {
    const { deviceId, secret } = (entry ?? {}) as { deviceId?: unknown; secret?: unknown };
    if (typeof deviceId !== 'string' || typeof secret !== 'string')
      throw new Error(
        `credentials file ${path}: entry ${i + 1} was ${JSON.stringify(entry)?.slice(0, 80)}, expected {"deviceId": string, "secret": string}`,
      );
    secrets.set(deviceId, secret);
  }
  return secrets;
}

/** Checks that every device of the fleet has a secret; names the first few that do not. */
export function requireSecrets(secrets: ReadonlyMap<string, string>, deviceIds: readonly string[], path: string): void {
  const missing = deviceIds.filter((id) => !secrets.has(id));
  if (missing.length === 0) return;
  const shown = missing.slice(0, 3).join(', ');
  throw new Error(
    `credentials file ${path} has no secret for ${missing.length} of ${deviceIds.length} devices (${shown}${missing.length > 3 ? ', ...' : ''}); provision them with fogline-sim provision`,
  );
}
