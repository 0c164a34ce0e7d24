import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './processes.js';

const run = promisify(execFile);

/** Debian's PostgreSQL binaries (package postgresql), the newest version installed; undefined without them. */
export function postgresBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] && join(root, versions[0], 'bin');
}

/**
 * A PostgreSQL server of a test's own, in a temporary folder, listening only on a Unix socket
 * there (no port to collide on), so that a test can stop and start it without touching the
 * machine's. PostgreSQL refuses to run as root: as root, it runs as the postgres user.
 */
export class PrivatePostgres {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
  ) {}

  static async create(bin: string): Promise<PrivatePostgres> {
    const dir = tempDir('pg');
    mkdirSync(join(dir, 'socket'));
    chmodSync(dir, 0o777);
    const server = new PrivatePostgres(bin, dir);
    if (process.getuid?.() === 0) await run('chown', ['-R', 'postgres', dir]);
    await server.pg('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await server.start();
    return server;
  }

  private pg(tool: string, args: string[]) {
    const command = join(this.bin, tool);
    return process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args);
  }

  /** postgres://... for a database on it. */
  url(database = 'postgres'): string {
    return `postgres://postgres@localhost/${database}?host=${encodeURIComponent(join(this.dir, 'socket'))}`;
  }

  async start(): Promise<void> {
    const options = `-c listen_addresses='' -k ${join(this.dir, 'socket')} -c fsync=off`;
    await this.pg('pg_ctl', ['-D', join(this.dir, 'data'), '-l', join(this.dir, 'server.log'), '-o', options, '-w', 'start']);
  }

  /** Stops it at once: open connections are closed, as when a database server goes down. */
  async stop(): Promise<void> {
    await this.pg('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  }

  async close(): Promise<void> {
    await this.stop().catch(() => {});
  }
}
