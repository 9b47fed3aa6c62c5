import { DEFAULT_FROM, isRelativeRange, RELATIVE_RANGES } from './filters.js';
import { FieldError } from './FieldError.js';

const RANGE_LABELS: Record<(typeof RELATIVE_RANGES)[number], string> = {
  '15m': 'Last 15 minutes',
  '1h': 'Last hour',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
};
const CUSTOM = 'custom';

interface Props {
  from: string;
  to: string;
  onChange: (range: { from: string; to: string }) => void;
  fromError?: string | null;
  toError?: string | null;
}

/** `YYYY-MM-DDTHH:mm` in local time, as a datetime-local input wants it. */
function toLocalInput(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

function fromLocalInput(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

/** Relative presets, or an absolute from/to in local time. */
export function TimeRangeFilter({ from, to, onChange, fromError, toError }: Props) {
  const relative = isRelativeRange(from, to);

  function choose(value: string) {
    if (value !== CUSTOM) return onChange({ from: value, to: '' });
    const now = Date.now();
    onChange({ from: new Date(now - 24 * 3_600_000).toISOString(), to: new Date(now).toISOString() });
  }

  return (
    <div className="filter time-range">
      <label htmlFor="range">Time range</label>
      <select
        id="range"
        value={relative ? from : CUSTOM}
        onChange={(e) => choose(e.target.value)}
        data-testid="filter-range"
      >
        {RELATIVE_RANGES.map((range) => (
          <option key={range} value={range}>
            {RANGE_LABELS[range]}
          </option>
        ))}
        <option value={CUSTOM}>Custom…</option>
      </select>
      {!relative && (
        <div className="absolute-range">
          <label htmlFor="range-from">From</label>
          <input
            id="range-from"
            type="datetime-local"
            value={toLocalInput(from)}
            onChange={(e) => onChange({ from: fromLocalInput(e.target.value) || DEFAULT_FROM, to })}
            aria-invalid={fromError ? true : undefined}
          />
          <label htmlFor="range-to">To</label>
          <input
            id="range-to"
            type="datetime-local"
            value={toLocalInput(to)}
            onChange={(e) => onChange({ from, to: fromLocalInput(e.target.value) })}
            aria-invalid={toError ? true : undefined}
          />
        </div>
      )}
      <FieldError id="from-error" message={fromError} />
      <FieldError id="to-error" message={toError} />
    </div>
  );
}
