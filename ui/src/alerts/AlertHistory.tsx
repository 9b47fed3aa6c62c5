import { useMemo } from 'react';
import type { AlertEvent, AlertHistory as HistoryPage, AlertRule } from '../../../server/alerts/api-types.js';
import { usePagedResource } from '../api/usePagedResource.js';
import { ErrorBanner } from '../shell/ErrorBanner.js';
import { formatDateTime } from '../shell/format.js';
import { LoadingNotice } from '../shell/LoadingNotice.js';

const KIND_LABELS: Record<AlertEvent['kind'], string> = {
  firing: 'Fired',
  resolved: 'Resolved',
  new_group: 'New error group',
  regression: 'Regression',
  test: 'Test notification',
};

const DELIVERY_LABELS: Record<AlertEvent['delivery'], string> = {
  pending: 'sending',
  delivered: 'delivered',
  failed: 'failed',
  suppressed: 'not sent (muted or snoozed)',
  none: 'nothing to send',
};

const pickEvents = (page: HistoryPage) => page.events;

function describe(event: AlertEvent): string {
  const group = event.details as { template?: string; reason?: string; version?: string };
  if (event.signature)
    return `${group.template ?? event.signature}${group.reason === 'version' ? ` (version ${group.version})` : ''}`;
  return event.value === null ? '' : `count ${event.value}`;
}

/** A rule's changes of state, groups found and notifications, newest first. */
export function AlertHistory({ rule, onClose }: { rule: AlertRule; onClose: () => void }) {
  const params = useMemo(() => new URLSearchParams(), []);
  const {
    items: events,
    error,
    loading,
    hasMore,
    loadMore,
  } = usePagedResource<HistoryPage, AlertEvent>(`/alerts/${rule.id}/history`, params, pickEvents);
  return (
    <section className="alert-history" aria-labelledby="alert-history-title" data-testid="alert-history">
      <header className="panel-header">
        <h2 id="alert-history-title">History of “{rule.name}”</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </header>
      <ErrorBanner message={error?.message} />
      {!error &&
        events.length === 0 &&
        (loading ? <LoadingNotice what="the history" /> : <p className="empty">Nothing has happened yet.</p>)}
      {events.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Window end</th>
              <th scope="col">Event</th>
              <th scope="col">What</th>
              <th scope="col">Notification</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr key={event.id} data-testid="alert-event" data-kind={event.kind}>
                <td className="time">{formatDateTime(event.windowEnd)}</td>
                <td>{KIND_LABELS[event.kind]}</td>
                <td className="message">{describe(event)}</td>
                <td className={event.delivery === 'failed' ? 'error-text' : undefined}>
                  {DELIVERY_LABELS[event.delivery]}
                  {event.attempts > 1 && ` after ${event.attempts} attempts`}
                  {event.lastError && event.delivery !== 'delivered' && `: ${event.lastError}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
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
