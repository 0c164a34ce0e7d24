import type { z } from 'zod';

/** A configuration error that names the field, the value it had, and what was expected. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';

  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function show(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const generated = /^(Invalid|Too (small|big)|Expected|Unrecognized)/;

/** What was expected, in words: the schema's own message when it gave one. */
function expectation(issue: z.core.$ZodIssue): string {
  if (!generated.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`;
    case 'too_small':
      return `${issue.origin === 'string' ? 'a length' : 'a number'} ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'too_big':
      return `${issue.origin === 'string' ? 'a length' : 'a number'} ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union': {
      // A discriminated union (rules' kind): zod lists the kinds it knows.
      const options = (issue as { options?: readonly unknown[] }).options;
      return options ? `one of ${options.map((v) => JSON.stringify(v)).join(', ')}` : 'one of the documented forms (see the README)';
    }
    default:
      return issue.message;
  }
}

/** Turns zod's issues into "field was value, expected ..." sentences. */
export function describeIssues(input: unknown, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    if (issue.code === 'unrecognized_keys') return `${field}: unknown field(s) ${issue.keys.join(', ')}; check the spelling`;
    return `${field} was ${show(valueAt(input, issue.path))}, expected ${expectation(issue)}`;
  });
}

/**
 * Listeners given the same fixed port, by their config field: the second would fail to bind at
 * start, so the config check says so first. Port 0 (any free port) and unset listeners never clash.
 */
export function portClashes(ports: readonly (readonly [field: string, port: number | undefined])[]): string[] {
  const problems: string[] = [];
  for (const [i, [name, port]] of ports.entries()) {
    const earlier = ports.slice(0, i).find(([, other]) => other === port && port !== undefined && port !== 0);
    if (earlier) problems.push(`${name} was ${port}, expected a port other than ${earlier[0]}'s (both listeners cannot bind it)`);
  }
  return problems;
}
