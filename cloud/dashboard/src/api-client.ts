/** The dashboard's side of /api/v1: JSON over fetch with the token, when the cloud asks for one. */

const tokenKey = 'fogline.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A token from the page's #token=... (a link an operator can share), or the one entered before. */
function token(): string | null {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) sessionStorage.setItem(tokenKey, fromHash);
  return sessionStorage.getItem(tokenKey);
}

export function useToken(value: string): void {
  sessionStorage.setItem(tokenKey, value);
}

export async function getJson<T>(path: string, params: Record<string, string | number> = {}): Promise<T> {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
  const bearer = token();
  const response = await fetch(`/api/v1/${path}${query ? `?${query}` : ''}`, {
    headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
  });
  const body = await response.json();
  if (!response.ok) throw new ApiError(response.status, body.error ?? (body.errors ?? []).join('; '));
  return body as T;
}

/** A POST of JSON; the admin token is needed for the routes that change something. */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const bearer = token();
  const response = await fetch(`/api/v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) throw new ApiError(response.status, answer.error ?? (answer.errors ?? []).join('; '));
  return answer as T;
}

/** EventSource cannot send a header: the events stream takes the token as ?access_token=. */
export function eventsUrl(): string {
  const bearer = token();
  return bearer ? `/api/v1/events?access_token=${encodeURIComponent(bearer)}` : '/api/v1/events';
}
