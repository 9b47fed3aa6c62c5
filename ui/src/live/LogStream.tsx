import { useVirtualizer } from '@tanstack/react-virtual';
import { useLayoutEffect, useRef, useState } from 'react';
import type { StoredLogEntry } from '../api/types.js';
import type { StreamFilters } from '../filters/filters.js';
import { formatTime } from '../shell/format.js';
import type { LiveItem } from './live-buffer.js';
import { LogLine } from './LogLine.js';
import { useLiveStream } from './useLiveStream.js';

const ROW_HEIGHT = 24;
/** Within this distance of the bottom counts as "at the latest line". */
const BOTTOM_SLACK = ROW_HEIGHT * 2;

interface Props {
  filters: StreamFilters;
  onOpenDetails: (entry: StoredLogEntry) => void;
}

const STATE_LABELS = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  paused: 'Paused',
} as const;

function GapLine({ item }: { item: Extract<LiveItem, { kind: 'gap' }> }) {
  const what = item.missed ? `${item.missed} entries` : 'Entries';
  return (
    <div className="gap-line" role="note" data-testid="gap-line">
      <time dateTime={item.at}>{formatTime(item.at)}</time> {what} missed here ({item.reason}): they cannot be replayed.
      Use the Query view for this period.
    </div>
  );
}

/** The live tail, virtualized so that 50,000 held lines scroll as smoothly as 50. */
export function LogStream({ filters, onOpenDetails }: Props) {
  const [paused, setPaused] = useState(false);
  const { items, dropped, version, state, error, clear } = useLiveStream(filters, paused);
  const [following, setFollowing] = useState(true);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const scroller = useRef<HTMLDivElement>(null);
  const lastScrollTop = useRef(0);
  const lastDropped = useRef(0);

  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    getItemKey: (index) => items[index].key,
    overscan: 20,
  });

  // Keep the view still: at the tail it follows new lines; scrolled up, it stays on the
  // same lines even while the oldest ones are dropped above them.
  useLayoutEffect(() => {
    const element = scroller.current;
    const droppedNow = dropped - lastDropped.current;
    lastDropped.current = dropped;
    if (!element) return;
    if (following) element.scrollTop = element.scrollHeight;
    else if (droppedNow > 0) element.scrollTop -= droppedNow * ROW_HEIGHT;
  }, [version, following, dropped]);

  function onScroll() {
    const element = scroller.current;
    if (!element) return;
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight <= BOTTOM_SLACK;
    const movedUp = element.scrollTop < lastScrollTop.current;
    lastScrollTop.current = element.scrollTop;
    if (movedUp && !atBottom) setFollowing(false);
    else if (atBottom && !following) setFollowing(true);
  }

  function toggle(key: string) {
    setExpanded((current) => {
      const next = new Set(current);
      if (!next.delete(key)) next.add(key);
      return next;
    });
  }

  return (
    <section className="live" aria-label="Live tail">
      <div className="toolbar">
        <span className={`connection connection-${state}`} data-testid="connection-state" role="status">
          {STATE_LABELS[state]}
        </span>
        <button type="button" onClick={() => setPaused(!paused)} data-testid="pause">
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" onClick={clear} data-testid="clear">
          Clear
        </button>
        <span className="count" data-testid="line-count">
          {items.length.toLocaleString()} lines
        </span>
        {error && (
          <span className="error-text" role="alert">
            {error}
          </span>
        )}
      </div>
      <div className="live-scroller" ref={scroller} onScroll={onScroll} data-testid="live-list">
        {items.length === 0 && <p className="empty">Waiting for entries that match the filters…</p>}
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((row) => {
            const item = items[row.index];
            return (
              <div
                key={row.key}
                data-index={row.index}
                ref={virtualizer.measureElement}
                className="virtual-row"
                style={{ transform: `translateY(${row.start}px)` }}
              >
                {item.kind === 'gap' ? (
                  <GapLine item={item} />
                ) : (
                  <LogLine
                    entry={item.entry}
                    expanded={expanded.has(item.key)}
                    onToggle={() => toggle(item.key)}
                    onOpenDetails={() => onOpenDetails(item.entry)}
                  />
                )}
              </div>
            );
          })}
        </div>
      </div>
      {!following && (
        <button
          type="button"
          className="jump-latest primary"
          onClick={() => setFollowing(true)}
          data-testid="jump-latest"
        >
          Jump to latest ↓
        </button>
      )}
    </section>
  );
}
