import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { StoredLogEntry } from '../api/types.js';
import { formatDateTime } from '../shell/format.js';
import { LevelBadge } from '../shell/LevelBadge.js';
import { LoadingNotice } from '../shell/LoadingNotice.js';

interface Props {
  entries: StoredLogEntry[];
  loading: boolean;
  hasMore: boolean;
  onLoadMore: () => void;
  onOpen: (entry: StoredLogEntry) => void;
}

const NEXT_KEYS = new Set(['ArrowDown', 'j']);
const PREVIOUS_KEYS = new Set(['ArrowUp', 'k']);

/** Query results, newest first; arrows or j/k move the selection, Enter opens it. */
export function LogTable({ entries, loading, hasMore, onLoadMore, onOpen }: Props) {
  const [selected, setSelected] = useState(-1);
  const body = useRef<HTMLTableSectionElement>(null);

  useEffect(() => setSelected((s) => Math.min(s, entries.length - 1)), [entries]);
  useEffect(() => {
    body.current?.querySelector(`[data-row="${selected}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [selected]);

  function onKeyDown(event: KeyboardEvent) {
    if (NEXT_KEYS.has(event.key)) setSelected((s) => Math.min(s + 1, entries.length - 1));
    else if (PREVIOUS_KEYS.has(event.key)) setSelected((s) => Math.max(s - 1, 0));
    else if (event.key === 'Home') setSelected(0);
    else if (event.key === 'End') setSelected(entries.length - 1);
    else if (event.key === 'Enter' && entries[selected]) onOpen(entries[selected]);
    else return;
    event.preventDefault();
  }

  if (entries.length === 0 && loading) return <LoadingNotice what="entries" />;
  if (entries.length === 0)
    return (
      <p className="empty" data-testid="no-results">
        No entries match the filters in this time range.
      </p>
    );

  return (
    <div className="table-wrap">
      <div className="table-scroller">
        <table
          role="grid"
          tabIndex={0}
          onKeyDown={onKeyDown}
          onFocus={() => selected < 0 && entries.length > 0 && setSelected(0)}
          aria-label="Log entries: arrow keys or j/k move, Enter opens"
          aria-activedescendant={selected >= 0 ? `entry-row-${selected}` : undefined}
          data-testid="log-table"
        >
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Level</th>
              <th scope="col">Service</th>
              <th scope="col">Tenant</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody ref={body}>
            {entries.map((entry, index) => (
              <tr
                key={entry.id}
                id={`entry-row-${index}`}
                data-row={index}
                data-testid="log-row"
                data-entry-id={entry.id}
                aria-selected={index === selected}
                className={index === selected ? 'selected' : undefined}
                onClick={() => {
                  setSelected(index);
                  onOpen(entry);
                }}
              >
                <td className="time">
                  <time dateTime={entry.timestamp}>{formatDateTime(entry.timestamp)}</time>
                </td>
                <td>
                  <LevelBadge level={entry.level} />
                </td>
                <td className="service">{entry.service}</td>
                <td className="tenant">{entry.tenantId}</td>
                <td className="message">{entry.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="table-footer">
        <span data-testid="result-count">{entries.length.toLocaleString()} shown</span>
        {hasMore && (
          <button type="button" onClick={onLoadMore} disabled={loading} data-testid="load-more">
            {loading ? 'Loading…' : 'Load more'}
          </button>
        )}
      </div>
    </div>
  );
}
