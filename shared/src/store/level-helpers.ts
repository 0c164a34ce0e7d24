import type { Level } from 'level';

/** A sublevel of string keys and binary values, as every fogline store uses. */
export function binarySublevel(db: Level<string, Uint8Array>, name: string) {
  return db.sublevel<string, Uint8Array>(name, { valueEncoding: 'view' });
}

export type Sublevel = ReturnType<typeof binarySublevel>;

/** An operation for db.batch across sublevels of one database: the unit of an atomic write. */
export type SublevelOperation =
  | { readonly type: 'put'; readonly sublevel: Sublevel; readonly key: string; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly sublevel: Sublevel; readonly key: string };

/** A key that sorts as the number does: 16 digits, zero-padded (offsets, seqs, epoch ms). */
export const sortableKey = (n: number): string => Math.max(0, Math.floor(n)).toString().padStart(16, '0');

/** How many entries and bytes a sublevel holds, and its first and last keys (read once at start). */
export async function measureSublevel(sublevel: Sublevel): Promise<{ count: number; bytes: number; firstKey?: string; lastKey?: string }> {
  let count = 0;
  let bytes = 0;
  let firstKey: string | undefined;
  let lastKey: string | undefined;
  for await (const [key, value] of sublevel.iterator()) {
    count++;
    bytes += value.length;
    firstKey ??= key;
    lastKey = key;
  }
  return { count, bytes, firstKey, lastKey };
}
