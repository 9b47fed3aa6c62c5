import { useCallback, useEffect, useRef, useState } from 'react';
import { filtersFromParams, filtersToParams, type LogFilters } from '../filters/filters.js';

export const VIEWS = ['live', 'query', 'errors', 'alerts'] as const;
export type View = (typeof VIEWS)[number];

export interface UrlState {
  view: View;
  filters: LogFilters;
}

function read(): UrlState {
  const params = new URLSearchParams(window.location.search);
  const view = params.get('view');
  return {
    view: (VIEWS as readonly string[]).includes(view ?? '') ? (view as View) : 'live',
    filters: filtersFromParams(params),
  };
}

function write(state: UrlState, mode: 'push' | 'replace'): void {
  const params = filtersToParams(state.filters);
  params.set('view', state.view);
  const url = `${window.location.pathname}?${params}`;
  if (mode === 'push') window.history.pushState(null, '', url);
  else window.history.replaceState(null, '', url);
}

/**
 * The view and the filters, kept in the page URL so that a view can be shared and
 * reloaded. Changing the view (or jumping to related entries) adds a history step;
 * editing filters replaces the current one.
 */
export function useUrlState() {
  const [state, setState] = useState<UrlState>(read);
  const current = useRef(state);
  current.current = state;

  useEffect(() => {
    const onPopState = () => setState(read());
    window.addEventListener('popstate', onPopState);
    return () => window.removeEventListener('popstate', onPopState);
  }, []);

  const navigate = useCallback((next: UrlState) => {
    write(next, 'push');
    setState(next);
  }, []);

  const setFilters = useCallback((filters: LogFilters) => {
    const next = { ...current.current, filters };
    write(next, 'replace');
    setState(next);
  }, []);

  return { ...state, navigate, setFilters };
}
