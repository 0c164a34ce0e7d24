/**
 * The small part of JSONPath payload mappings need: `$`, `.name`, `["name with:colons"]`,
 * `[0]`. Enough to point at one value of a device's JSON; no filters, no recursion.
 */
export type JsonPath = readonly (string | number)[];

const segment = /\.([A-Za-z_$][\w$-]*)|\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]/y;

/** Parses `$.ENERGY.Power` or `$.params["switch:0"].apower`; a RangeError names what is wrong. */
export function parseJsonPath(path: string): JsonPath {
  if (!path.startsWith('$')) throw new RangeError(`path ${JSON.stringify(path)} does not start with $`);
  const out: (string | number)[] = [];
  let at = 1;
  while (at < path.length) {
    segment.lastIndex = at;
    const match = segment.exec(path);
    if (!match)
      throw new RangeError(`path ${JSON.stringify(path)} cannot be read at character ${at + 1}: expected .name, ["name"] or [index]`);
    out.push(match[1] ?? (match[2] !== undefined ? JSON.parse(`"${match[2]}"`) : Number(match[3])));
    at = segment.lastIndex;
  }
  return out;
}

/** The value at a path, or undefined when any step is missing. */
export function valueAt(root: unknown, path: JsonPath): unknown {
  let value = root;
  for (const step of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[step];
  }
  return value;
}

/**
 * Every numeric leaf under a value, with its path joined by '.': what `values: auto` turns into
 * metrics. Booleans and the switch words devices send ("ON"/"OFF") count as 1 and 0; other
 * strings and arrays are left out.
 */
export function numericLeaves(value: unknown, prefix = ''): [name: string, value: number][] {
  const asNumber = readingValue(value);
  if (asNumber !== undefined) return prefix === '' ? [] : [[prefix, asNumber]];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => numericLeaves(child, prefix === '' ? key : `${prefix}.${key}`));
}

const switchWords: Readonly<Record<string, number>> = { ON: 1, OFF: 0, on: 1, off: 0, true: 1, false: 0 };

/** A value as a reading's number: a number, a boolean, or a switch word; else undefined. */
export function readingValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value in switchWords) return switchWords[value];
  return undefined;
}
