import { useRef, useState } from 'react';
import { LOG_ENTRY_FIELDS, type StoredLogEntry } from '../api/types.js';
import { formatDateTime, formatJson } from '../shell/format.js';
import { LevelBadge } from '../shell/LevelBadge.js';
import { useFocusTrap } from './useFocusTrap.js';

export type RelatedField = 'requestId' | 'traceId';

interface Props {
  entry: StoredLogEntry;
  onClose: () => void;
  /** Shows the entries that share this entry's request or trace. */
  onShowRelated: (field: RelatedField, entry: StoredLogEntry) => void;
}

const FIELDS: readonly (keyof StoredLogEntry)[] = [...LOG_ENTRY_FIELDS, 'errorSignature', 'messageTemplate'];
/** Shown in their own blocks below the table of fields. */
const BLOCK_FIELDS = new Set<keyof StoredLogEntry>(['data', 'errorStack']);

function label(field: string): string {
  const words = field.replace(/([A-Z])/g, ' $1').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function FieldValue({ field, entry }: { field: keyof StoredLogEntry; entry: StoredLogEntry }) {
  const value = entry[field];
  if (value === null || value === undefined) return <span className="null">—</span>;
  if (field === 'level') return <LevelBadge level={String(value)} />;
  if (field === 'timestamp')
    return <time dateTime={String(value)}>{`${formatDateTime(String(value))} (${String(value)})`}</time>;
  return <code>{String(value)}</code>;
}

/** Every field of one entry, its data as JSON, its stack trace, and the way to its neighbours. */
export function LogDetailModal({ entry, onClose, onShowRelated }: Props) {
  const dialog = useRef<HTMLDivElement>(null);
  const [copied, setCopied] = useState<string | null>(null);
  useFocusTrap(dialog, onClose);

  async function copy() {
    try {
      await navigator.clipboard.writeText(formatJson(entry));
      setCopied('Copied');
    } catch {
      setCopied('Copy failed: the browser refused the clipboard');
    }
  }

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="detail-title"
        ref={dialog}
        data-testid="detail-modal"
      >
        <header>
          <h2 id="detail-title">
            <LevelBadge level={entry.level} /> {entry.message}
          </h2>
          <button type="button" className="icon" onClick={onClose} aria-label="Close" data-autofocus>
            ×
          </button>
        </header>
        <div className="modal-actions">
          <button type="button" onClick={copy} data-testid="copy-json">
            Copy as JSON
          </button>
          {copied && <span role="status">{copied}</span>}
          {entry.requestId && (
            <button
              type="button"
              className="link"
              onClick={() => onShowRelated('requestId', entry)}
              data-testid="same-request"
            >
              Entries of this request
            </button>
          )}
          {entry.traceId && (
            <button
              type="button"
              className="link"
              onClick={() => onShowRelated('traceId', entry)}
              data-testid="same-trace"
            >
              Entries of this trace
            </button>
          )}
        </div>
        <dl className="fields">
          {FIELDS.filter((f) => !BLOCK_FIELDS.has(f)).map((field) => (
            <div key={field} className="field" data-field={field}>
              <dt>{label(field)}</dt>
              <dd>
                <FieldValue field={field} entry={entry} />
              </dd>
            </div>
          ))}
        </dl>
        <h3>Data</h3>
        <pre className="data" data-field="data">
          {entry.data ? formatJson(entry.data) : 'null'}
        </pre>
        <h3>Error stack</h3>
        <pre className="stack" data-field="errorStack">
          {entry.errorStack ?? 'none'}
        </pre>
      </div>
    </div>
  );
}
