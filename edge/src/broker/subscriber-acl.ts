import { readFileSync } from 'node:fs';

/** What every local subscriber may read when no ACL file is given: the gateway's telemetry, events and alerts. */
export const defaultSubscriberTopics: readonly string[] = ['telemetry/#', 'events/#', 'alerts/#'];

/**
 * Which topics each local subscriber (Node-RED, a historian, a PLC) may subscribe to, in
 * Mosquitto's acl_file format: `topic read <filter>` lines before any `user` line apply to
 * every subscriber, and those after `user <name>` to that one. The role is read-only, so
 * `write` and `readwrite` are refused, naming the line. `#` comments and blank lines are skipped.
 *
 *   topic read alerts/#
 *   user historian
 *   topic read telemetry/#
 */
export class SubscriberAcl {
  private constructor(
    private readonly everyone: readonly string[],
    private readonly perUser: ReadonlyMap<string, readonly string[]>,
  ) {}

  static readonly defaults = new SubscriberAcl(defaultSubscriberTopics, new Map());

  static fromFile(path: string): SubscriberAcl {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new Error(
        `mqtt.subscribers.aclFile ${path} could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    return SubscriberAcl.parse(text, path);
  }

  static parse(text: string, where = 'the ACL'): SubscriberAcl {
    const everyone: string[] = [];
    const perUser = new Map<string, string[]>();
    let current = everyone;
    for (const [i, raw] of text.split('\n').entries()) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const [keyword, ...rest] = line.split(/\s+/);
      const at = `${where} line ${i + 1} (${JSON.stringify(line)})`;
      if (keyword === 'user' && rest.length === 1) {
        current = perUser.get(rest[0]) ?? [];
        perUser.set(rest[0], current);
      } else if (keyword === 'topic') {
        const [access, filter] = rest.length === 1 ? ['readwrite', rest[0]] : rest;
        if (access !== 'read') throw new Error(`${at}: access was ${JSON.stringify(access)}, expected read (local subscribers only read)`);
        if (!filter || !validFilter(filter)) throw new Error(`${at}: ${JSON.stringify(filter)} is not an MQTT topic filter`);
        current.push(filter);
      } else throw new Error(`${at}: expected "user <name>" or "topic read <filter>"`);
    }
    return new SubscriberAcl(everyone, perUser);
  }

  /** Whether `user` may subscribe to `filter`: some allowed filter covers every topic it can match. */
  allows(user: string, filter: string): boolean {
    if (!validFilter(filter)) return false;
    return [...this.everyone, ...(this.perUser.get(user) ?? [])].some((allowed) => covers(allowed, filter));
  }
}

function validFilter(filter: string): boolean {
  const levels = filter.split('/');
  return levels.every((level, i) =>
    level.includes('#') ? level === '#' && i === levels.length - 1 : !level.includes('+') || level === '+',
  );
}

/** Whether every topic `filter` matches is matched by `allowed` (a wildcard asked for must be allowed as wide). */
function covers(allowed: string, filter: string): boolean {
  const a = allowed.split('/');
  const f = filter.split('/');
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '#') return true;
    if (i >= f.length) return false;
    if (f[i] === '#') return false;
    if (a[i] === '+') continue;
    if (f[i] === '+' || f[i] !== a[i]) return false;
  }
  return a.length === f.length;
}
