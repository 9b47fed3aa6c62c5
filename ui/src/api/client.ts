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
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: { error?: unknown; parameter?: unknown } = {};
  try {
    body = await response.json();
  } catch {
    // a non-JSON error page (a proxy, for example): the status says enough
  }
  let message = typeof body.error === 'string' ? body.error : `The server answered ${response.status} ${response.statusText}`;
  if (response.status === 429) {
    const retryAfter = response.headers.get('Retry-After');
    message = `Too many requests${retryAfter ? `: try again in ${retryAfter} s` : ''}`;
  }
  return new ApiError(response.status, message, typeof body.parameter === 'string' ? body.parameter : null);
}

/** A client that sends `key` as a Bearer token and reports a rejected key once. */
export function createApiClient(key: string, onUnauthorized: () => void): ApiClient {
  async function request<T>(method: 'GET' | 'POST', path: string, params?: URLSearchParams, signal?: AbortSignal): Promise<T> {
    const query = params && params.size > 0 ? `?${params}` : '';
    const response = await fetch(`${API_BASE}${path}${query}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, Accept: 'application/json' },
      signal,
    });
    if (!response.ok) {
      const error = await errorFrom(response);
      if (response.status === 401) onUnauthorized();
      throw error;
    }
    return (await response.json()) as T;
  }
  return {
    get: (path, params, signal) => request('GET', path, params, signal),
    post: (path) => request('POST', path),
  };
}

/** Asks the API who `key` is; rejects with an ApiError (401) for an unknown key. */
export async function whoami(key: string): Promise<Principal> {
  return createApiClient(key, () => {}).get<Principal>('/whoami');
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
