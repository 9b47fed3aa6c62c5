import { useEffect, useMemo, useState, type KeyboardEvent } from 'react';
import type { ApiError } from '../api/client.js';
import type { ErrorGroup, ErrorGroupPage } from '../api/types.js';
import { usePagedResource } from '../api/usePagedResource.js';
import { FILTER_PARAMETERS } from '../filters/filters.js';
import { ErrorBanner } from '../shell/ErrorBanner.js';
import { formatDateTime } from '../shell/format.js';
import { LevelBadge } from '../shell/LevelBadge.js';
import { LoadingNotice } from '../shell/LoadingNotice.js';
import { Sparkline } from './Sparkline.js';

interface Props {
  params: URLSearchParams;
  /** Shows the entries of a group (the query view filtered by its signature). */
  onOpenGroup: (group: ErrorGroup) => void;
  onFilterError: (error: ApiError | null) => void;
}

type Sort = 'count' | 'lastSeen';
const pickGroups = (page: ErrorGroupPage) => page.groups;

/** Errors and warnings grouped by signature, the biggest (or latest) first. */
export function ErrorAggregatesView({ params, onOpenGroup, onFilterError }: Props) {
  const [sort, setSort] = useState<Sort>('count');
  const groupParams = useMemo(() => new URLSearchParams([...params, ['sort', sort]]), [params, sort]);
  const {
    items: groups,
    error,
    loading,
    hasMore,
    loadMore,
  } = usePagedResource<ErrorGroupPage, ErrorGroup>('/aggregates', groupParams, pickGroups);

  const filterError = error?.parameter && FILTER_PARAMETERS.includes(error.parameter) ? error : null;
  useEffect(() => onFilterError(filterError), [filterError, onFilterError]);

  function onKeyDown(event: KeyboardEvent, group: ErrorGroup) {
    if (event.key !== 'Enter' && event.key !== ' ') return;
    event.preventDefault();
    onOpenGroup(group);
  }

  return (
    <section className="errors" aria-label="Error groups" aria-busy={loading}>
      <div className="toolbar">
        <label htmlFor="group-sort">Sort by</label>
        <select id="group-sort" value={sort} onChange={(e) => setSort(e.target.value as Sort)}>
          <option value="count">Count</option>
          <option value="lastSeen">Last seen</option>
        </select>
        {!(loading && groups.length === 0) && <span className="count">{groups.length.toLocaleString()} groups</span>}
      </div>
      <ErrorBanner message={error ? (filterError ? `Check the filters: ${error.message}` : error.message) : null} />
      {!error &&
        groups.length === 0 &&
        (loading ? (
          <LoadingNotice what="error groups" />
        ) : (
          <p className="empty">No errors or warnings match the filters in this time range.</p>
        ))}
      {groups.length > 0 && (
        <div className="table-scroller">
          <table className="groups" data-testid="error-groups">
            <thead>
              <tr>
                <th scope="col">Count</th>
                <th scope="col">Trend</th>
                <th scope="col">Error</th>
                <th scope="col">Services</th>
                <th scope="col">Tenants</th>
                <th scope="col">First seen</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((group) => (
                <tr
                  key={group.signature}
                  tabIndex={0}
                  onClick={() => onOpenGroup(group)}
                  onKeyDown={(e) => onKeyDown(e, group)}
                  data-testid="error-group"
                  data-signature={group.signature}
                  aria-label={`${group.count} × ${group.template}: show the entries`}
                >
                  <td className="number">{group.count.toLocaleString()}</td>
                  <td>
                    <Sparkline points={group.trend} label={`Trend of ${group.template}`} />
                  </td>
                  <td className="template">
                    <LevelBadge level={group.level} />{' '}
                    {group.errorType && <span className="error-type">{group.errorType}</span>}
                    {group.errorCode && <span className="error-code">{group.errorCode}</span>}
                    <div className="message">{group.template}</div>
                  </td>
                  <td>{group.services.join(', ')}</td>
                  <td className="number">{group.tenants.toLocaleString()}</td>
                  <td className="time">{formatDateTime(group.firstSeen)}</td>
                  <td className="time">{formatDateTime(group.lastSeen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {hasMore && (
        <div className="table-footer">
          <button type="button" onClick={loadMore} disabled={loading}>
            {loading ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </section>
  );
}
