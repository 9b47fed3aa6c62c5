import type { KeyboardEvent } from 'react';
import type { StoredLogEntry } from '../api/types.js';
import { formatJson, formatTime } from '../shell/format.js';
import { LevelBadge } from '../shell/LevelBadge.js';

interface Props {
  entry: StoredLogEntry;
  expanded: boolean;
  onToggle: () => void;
  onOpenDetails: () => void;
}

/** One entry on one line; click or Enter shows its data inline. */
export function LogLine({ entry, expanded, onToggle, onOpenDetails }: Props) {
  function onKeyDown(event: KeyboardEvent) {
    if (event.target !== event.currentTarget) return;
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onToggle();
    }
  }
  return (
    <div className={`log-line level-row-${entry.level}`} data-testid="log-line" data-entry-id={entry.id}>
      <div
        className="log-line-summary"
        role="button"
        tabIndex={0}
        aria-expanded={expanded}
        onClick={onToggle}
        onKeyDown={onKeyDown}
      >
        <time dateTime={entry.timestamp} title={entry.timestamp}>
          {formatTime(entry.timestamp)}
        </time>
        <LevelBadge level={entry.level} />
        <span className="service">{entry.service}</span>
        <span className="tenant" title={entry.tenantSlug ?? undefined}>
          {entry.tenantId}
        </span>
        <span className="message">{entry.message}</span>
      </div>
      {expanded && (
        <div className="log-line-details">
          <pre className="data">{entry.data ? formatJson(entry.data) : 'no data'}</pre>
          {entry.errorStack && <pre className="stack">{entry.errorStack}</pre>}
          <button type="button" onClick={onOpenDetails} data-testid="open-details">
            Open details
          </button>
        </div>
      )}
    </div>
  );
}
