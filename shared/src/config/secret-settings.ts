import { readFileSync } from 'node:fs';
import { ConfigError } from './config-errors.js';

/** A config field that holds a secret, and the environment variable that may give it instead. */
export interface SecretSetting {
  /** Where it sits in the config, e.g. ['http', 'adminToken']. */
  readonly path: readonly string[];
  /** NAME gives the value; NAME_FILE gives a file holding it (Docker and systemd secrets). */
  readonly env: string;
}

export const redacted = '[redacted]';

function setAt(raw: Record<string, unknown>, path: readonly string[], value: string): Record<string, unknown> {
  const [head, ...rest] = path;
  if (rest.length === 0) return { ...raw, [head]: value };
  const inner = raw[head];
  return { ...raw, [head]: setAt(inner !== null && typeof inner === 'object' ? (inner as Record<string, unknown>) : {}, rest, value) };
}

/**
 * Secrets from the environment over the file: NAME, or the contents of the file NAME_FILE
 * names (its trailing line break dropped); an empty variable is unset. Both set, or a file that cannot be read, is a
 * ConfigError naming the variable.
 */
export function secretsFromEnvironment(
  raw: Record<string, unknown>,
  settings: readonly SecretSetting[],
  env: NodeJS.ProcessEnv,
): Record<string, unknown> {
  let out = raw;
  const problems: string[] = [];
  for (const { path, env: name } of settings) {
    // An empty variable counts as unset: compose files pass ${NAME:-} through as "".
    const direct = env[name] || undefined;
    const file = env[`${name}_FILE`] || undefined;
    if (direct !== undefined && file !== undefined) {
      problems.push(`${name} and ${name}_FILE were both set, expected one of them (for ${path.join('.')})`);
      continue;
    }
    if (direct !== undefined) out = setAt(out, path, direct);
    if (file === undefined) continue;
    try {
      out = setAt(out, path, readFileSync(file, 'utf8').replace(/\r?\n$/, ''));
    } catch (error) {
      problems.push(
        `${name}_FILE was ${JSON.stringify(file)}, expected a readable file holding ${path.join('.')} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

/** The password of a URL (postgres://user:password@host/db) replaced, for printing. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, `$1${redacted}@`);
}

/**
 * A copy of a parsed config fit to print (check-config): every secret set is replaced, and
 * passwords inside the URLs at `urlPaths`.
 */
export function redactSecrets<T>(config: T, settings: readonly SecretSetting[], urlPaths: readonly (readonly string[])[] = []): T {
  const copy = structuredClone(config) as Record<string, unknown>;
  const edit = (path: readonly string[], change: (value: string) => string) => {
    let node: Record<string, unknown> | undefined = copy;
    for (const key of path.slice(0, -1)) node = node?.[key] as Record<string, unknown> | undefined;
    const last = path[path.length - 1];
    if (node && typeof node[last] === 'string') node[last] = change(node[last] as string);
  };
  for (const { path } of settings) edit(path, () => redacted);
  for (const path of urlPaths) edit(path, redactUrl);
  return copy as T;
}

/** A port from an environment variable: undefined when unset, else an integer 0-65535 or a ConfigError naming the variable. */
export function portFromEnvironment(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined) return undefined;
  const port = Number(text);
  if (text.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError([`${name} was ${JSON.stringify(text)}, expected a port from 0 to 65535`]);
  return port;
}
