import { useCallback, useEffect, useRef, useState } from 'react';
import { useSession } from '../auth/session.js';
import type { StreamFilters } from '../filters/filters.js';
import { LiveBuffer } from './live-buffer.js';
import { LiveConnection, type ConnectionState } from './live-connection.js';

/**
 * The live tail: entries matching `filters`, held in a LiveBuffer, rendered at most once a
 * frame however fast they come. Pausing closes the stream; resuming picks up after the
 * last entry seen, so nothing is lost in between (or a gap marker says what was).
 * Changing the filters starts over with an empty list.
 */
export function useLiveStream(filters: StreamFilters, paused: boolean) {
  const { api } = useSession();
  const [buffer] = useState(() => new LiveBuffer());
  const [version, setVersion] = useState(0);
  const [state, setState] = useState<ConnectionState>('connecting');
  const [error, setError] = useState<string | null>(null);
  const resumeFrom = useRef<string | null>(null);
  const frame = useRef(0);
  const filtersKey = JSON.stringify(filters);
  const shownFilters = useRef(filtersKey);

  const render = useCallback(() => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      buffer.trim();
      setVersion((v) => v + 1);
    });
  }, [buffer]);

  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  useEffect(() => {
    if (shownFilters.current !== filtersKey) {
      shownFilters.current = filtersKey;
      buffer.clear();
      resumeFrom.current = null;
      render();
    }
    if (paused) {
      setState('paused');
      return;
    }
    setError(null);
    const connection = new LiveConnection({
      api,
      filters: JSON.parse(filtersKey) as StreamFilters,
      resumeFrom: resumeFrom.current,
      onState: setState,
      onFatal: (e) => setError(e.message),
      onMessage: (message) => {
        if (message.type === 'entry') {
          if (buffer.addEntry(message.entry)) render();
        } else if (message.type === 'gap') {
          buffer.addGap(message.reason, message.missed ?? null);
          render();
        } else if (message.type === 'error') {
          setError(message.error);
        }
      },
    });
    connection.start();
    return () => {
      resumeFrom.current = connection.resumePoint;
      connection.stop();
    };
  }, [api, buffer, filtersKey, paused, render]);

  const clear = useCallback(() => {
    buffer.clear();
    render();
  }, [buffer, render]);

  return { items: buffer.items, dropped: buffer.dropped, version, state, error, clear };
}
