import type { Principal } from './types.js';

export const API_BASE = '/api/platform/logs';

/** An error answer of the API: `{ error, parameter? }` with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly parameter: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClient {
  get<T>(path: string, params?: URLSearchParams, signal?: AbortSignal): Promise<T>;
  post<T>(path: string): Promise<T>;
  /** A request with a JSON body (or none); resolves to the answer's JSON, or null for a 204. */
  send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: { error?: unknown; parameter?: unknown } = {};
  try {
    body = await response.json();
  } catch {
    // a non-JSON error page (a proxy, for example): the status says enough
  }
  let message =
    typeof body.error === 'string' ? body.error : `The server answered ${response.status} ${response.statusText}`;
  if (response.status === 429) {
    const retryAfter = response.headers.get('Retry-After');
    message = `Too many requests${retryAfter ? `: try again in ${retryAfter} s` : ''}`;
  }
  return new ApiError(response.status, message, typeof body.parameter === 'string' ? body.parameter : null);
}

/** A client that sends `key` as a Bearer token and reports a rejected key once. */
export function createApiClient(key: string, onUnauthorized: () => void): ApiClient {
  async function request<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    params?: URLSearchParams,
    signal?: AbortSignal,
    body?: unknown,
  ): Promise<T> {
    const query = params && params.size > 0 ? `?${params}` : '';
    const headers: Record<string, string> = { Authorization: `Bearer ${key}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${API_BASE}${path}${query}`, {
      method,
      headers,
      signal,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      const error = await errorFrom(response);
      if (response.status === 401) onUnauthorized();
      throw error;
    }
    if (response.status === 204) return null as T;
    return (await response.json()) as T;
  }
  return {
    get: (path, params, signal) => request('GET', path, params, signal),
    post: (path) => request('POST', path),
    send: (method, path, body) => request(method, path, undefined, undefined, body),
  };
}

/** Asks the API who `key` is; rejects with an ApiError (401) for an unknown key. */
export async function whoami(key: string): Promise<Principal> {
  return createApiClient(key, () => {}).get<Principal>('/whoami');
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
