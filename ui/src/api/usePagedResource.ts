import { useCallback, useEffect, useRef, useState } from 'react';
import { useSession } from '../auth/session.js';
import { ApiError, isAbort } from './client.js';

interface Page {
  nextCursor: string | null;
}

export interface PagedResource<T> {
  items: T[];
  error: ApiError | null;
  loading: boolean;
  hasMore: boolean;
  loadMore: () => void;
}

function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, (error as Error).message);
}

/**
 * Keyset pages of `path?params`: the first page whenever the parameters change, then
 * "load more" follows `nextCursor`. `pick` takes the items out of a page.
 */
export function usePagedResource<P extends Page, T>(
  path: string,
  params: URLSearchParams,
  pick: (page: P) => T[],
): PagedResource<T> {
  const { api } = useSession();
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const query = params.toString();
  const current = useRef<AbortController | null>(null);
  const pickRef = useRef(pick);
  pickRef.current = pick;

  const fetchPage = useCallback(
    (after: string | null) => {
      current.current?.abort();
      const controller = new AbortController();
      current.current = controller;
      const pageParams = new URLSearchParams(query);
      if (after) pageParams.set('cursor', after);
      setLoading(true);
      api
        .get<P>(path, pageParams, controller.signal)
        .then((page) => {
          const pageItems = pickRef.current(page);
          setItems((existing) => (after ? [...existing, ...pageItems] : pageItems));
          setCursor(page.nextCursor);
          setError(null);
          setLoading(false);
        })
        .catch((e: unknown) => {
          if (isAbort(e)) return;
          if (!after) setItems([]);
          setError(asApiError(e));
          setLoading(false);
        });
    },
    [api, path, query],
  );

  useEffect(() => {
    fetchPage(null);
    return () => current.current?.abort();
  }, [fetchPage]);

  const loadMore = useCallback(() => {
    if (cursor) fetchPage(cursor);
  }, [cursor, fetchPage]);

  return { items, error, loading, hasMore: cursor !== null, loadMore };
}
