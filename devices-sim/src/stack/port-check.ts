import { createServer } from 'node:net';

/** A port the stack will listen on, and the flag that changes it. */
export interface WantedPort {
  readonly port: number;
  readonly host: string;
  readonly what: string;
  readonly flag: string;
}

function isFree({ port, host }: WantedPort): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * Checks every fixed port before anything starts, so a port in use is one clear error naming
 * all of them and the flags to change them, rather than a half-started stack. Port 0 (any free
 * port) is never checked.
 */
export async function requireFreePorts(ports: readonly WantedPort[]): Promise<void> {
  const busy: WantedPort[] = [];
  for (const wanted of ports) if (wanted.port !== 0 && !(await isFree(wanted))) busy.push(wanted);
  if (busy.length === 0) return;
  throw new Error(
    busy
      .map((p) => `port ${p.port} on ${p.host} (${p.what}) is in use; choose another with ${p.flag} <port>, or 0 for any free port`)
      .join('\n'),
  );
}
