import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/** A fogline CLI running as a child process, its output appended to a log file. */
export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** The ports its ready line reported. */
  readonly ports: Record<string, number>;
  readonly exited: Promise<number | null>;
}

/**
 * Spawns `node <cli> <args>` and resolves once it logs `readyMessage` (a pino JSON line with its
 * ports); every line goes to `logPath`. If it exits first, the error carries its last lines,
 * which say why (a config error, a port in use).
 */
export function startService(name: string, cli: string, args: string[], readyMessage: string, logPath: string): Promise<ServiceProcess> {
  // Its own process group: a Ctrl-C in the terminal reaches the stack alone, which then stops
  // the parts in order (fleet, gateways, cloud) instead of all at once.
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const log = createWriteStream(logPath, { flags: 'a' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let tail = '';
  return new Promise((resolve, reject) => {
    let buffered = '';
    const remember = (chunk: Buffer) => {
      log.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-4000);
    };
    child.stderr?.on('data', remember);
    child.stdout?.on('data', (chunk: Buffer) => {
      remember(chunk);
      buffered += chunk.toString('utf8');
      for (let newline = buffered.indexOf('\n'); newline !== -1; newline = buffered.indexOf('\n')) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (!line.startsWith('{')) continue;
        try {
          const record = JSON.parse(line) as { msg?: string; ports?: Record<string, number> };
          if (record.msg === readyMessage && record.ports) resolve({ name, child, ports: record.ports, exited });
        } catch {
          // not a log line
        }
      }
    });
    exited.then((code) => {
      log.end();
      const lastLines = tail.trim().split('\n').slice(-5).join('\n');
      reject(new Error(`${name} exited with code ${code} before it was ready (its log: ${logPath}):\n${lastLines}`));
    });
  });
}

/** Sends `signal` and waits for the exit; SIGKILL after `graceMs`. */
export async function stopService(service: ServiceProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 30_000): Promise<number | null> {
  if (service.child.exitCode !== null) return service.child.exitCode;
  service.child.kill(signal);
  const timer = setTimeout(() => service.child.kill('SIGKILL'), graceMs);
  try {
    return await service.exited;
  } finally {
    clearTimeout(timer);
  }
}
