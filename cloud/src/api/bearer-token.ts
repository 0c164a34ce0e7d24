import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Whether the request carries the token, in its Authorization header or (for the events stream,
 * which a browser's EventSource cannot give a header) its query. Compared in constant time over
 * digests, so neither the token's content nor its length leaks through timing.
 */
export function bearerMatches(authorization: string | undefined, queryToken: string | undefined, token: string): boolean {
  const expected = digest(token);
  const header = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
  const headerOk = header !== undefined && timingSafeEqual(digest(header), expected);
  const queryOk = queryToken !== undefined && timingSafeEqual(digest(queryToken), expected);
  return headerOk || queryOk;
}
