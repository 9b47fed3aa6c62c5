import { useEffect, useState } from 'react';
import { useSession } from '../auth/session.js';
import { ApiError, isAbort } from './client.js';

export interface Resource<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
}

/** GETs `path?params` whenever they change; an older answer never overwrites a newer one. */
export function useApiResource<T>(path: string, params: URLSearchParams): Resource<T> {
  const { api } = useSession();
  const [resource, setResource] = useState<Resource<T>>({ data: null, error: null, loading: true });
  const query = params.toString();

  useEffect(() => {
    const controller = new AbortController();
    setResource((current) => ({ ...current, loading: true }));
    api
      .get<T>(path, new URLSearchParams(query), controller.signal)
      .then((data) => setResource({ data, error: null, loading: false }))
      .catch((error: unknown) => {
        if (isAbort(error)) return;
        setResource({
          data: null,
          error: error instanceof ApiError ? error : new ApiError(0, (error as Error).message),
          loading: false,
        });
      });
    return () => controller.abort();
  }, [api, path, query]);

  return resource;
}
