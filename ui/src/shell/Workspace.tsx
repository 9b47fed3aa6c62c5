import { useCallback, useMemo, useState } from 'react';
import type { ApiError } from '../api/client.js';
import type { ErrorGroup, StoredLogEntry } from '../api/types.js';
import { useSession } from '../auth/session.js';
import { LogDetailModal, type RelatedField } from '../detail/LogDetailModal.js';
import { AlertsView } from '../alerts/AlertsView.js';
import { ErrorAggregatesView } from '../errors/ErrorAggregatesView.js';
import { EMPTY_FILTERS, filtersToParams, streamFilters } from '../filters/filters.js';
import { LogFilters } from '../filters/LogFilters.js';
import { LogStream } from '../live/LogStream.js';
import { QueryView } from '../query/QueryView.js';
import { Tabs } from './Tabs.js';
import { useTheme } from './theme.js';
import { useUrlState, type View } from './url-state.js';

/** Entries of one request or trace sit close in time: look a day either side. */
const RELATED_WINDOW_MS = 24 * 3_600_000;

/** The signed-in app: header, shared filters, the current view, and the detail modal. */
export function Workspace({ onSignOut }: { onSignOut: () => void }) {
  const { principal } = useSession();
  const { view, filters, navigate, setFilters } = useUrlState();
  const { theme, toggle } = useTheme();
  const [detail, setDetail] = useState<StoredLogEntry | null>(null);
  const [filterError, setFilterError] = useState<ApiError | null>(null);

  const params = useMemo(() => filtersToParams(filters, principal), [filters, principal]);
  const liveFilters = useMemo(() => streamFilters(filters, principal), [filters, principal]);
  const closeDetail = useCallback(() => setDetail(null), []);

  function changeView(next: View) {
    setFilterError(null);
    navigate({ view: next, filters });
  }

  function showRelated(field: RelatedField, entry: StoredLogEntry) {
    const at = new Date(entry.timestamp).getTime();
    setDetail(null);
    navigate({
      view: 'query',
      filters: {
        ...EMPTY_FILTERS,
        [field]: entry[field] ?? '',
        from: new Date(at - RELATED_WINDOW_MS).toISOString(),
        to: new Date(at + RELATED_WINDOW_MS).toISOString(),
      },
    });
  }

  function openGroup(group: ErrorGroup) {
    navigate({ view: 'query', filters: { ...filters, errorSignature: group.signature } });
  }

  return (
    <div className="app">
      <header className="app-header">
        <h1>Platform logs</h1>
        <Tabs view={view} onChange={changeView} />
        <div className="header-end">
          <span className="scope" data-testid="scope">
            {principal.scope === 'tenant' ? `Tenant ${principal.tenantId}` : 'All tenants'}
          </span>
          <button
            type="button"
            onClick={toggle}
            aria-label={`Switch to the ${theme === 'dark' ? 'light' : 'dark'} theme`}
            data-testid="theme-toggle"
          >
            {theme === 'dark' ? '☀ Light' : '☾ Dark'}
          </button>
          <button type="button" onClick={onSignOut} data-testid="sign-out">
            Sign out
          </button>
        </div>
      </header>
      {view !== 'alerts' && (
        <LogFilters
          filters={filters}
          onChange={setFilters}
          principal={principal}
          error={filterError}
          live={view === 'live'}
        />
      )}
      <main id="view-panel" role="tabpanel" aria-labelledby={`tab-${view}`} className="view">
        {view === 'live' && <LogStream filters={liveFilters} onOpenDetails={setDetail} />}
        {view === 'query' && <QueryView params={params} onOpenDetails={setDetail} onFilterError={setFilterError} />}
        {view === 'errors' && (
          <ErrorAggregatesView params={params} onOpenGroup={openGroup} onFilterError={setFilterError} />
        )}
        {view === 'alerts' && <AlertsView />}
      </main>
      {detail && <LogDetailModal entry={detail} onClose={closeDetail} onShowRelated={showRelated} />}
    </div>
  );
}
