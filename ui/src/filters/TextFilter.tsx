import { useEffect, useRef, useState } from 'react';
import { FieldError } from './FieldError.js';

interface Props {
  id: string;
  label: string;
  value: string;
  onCommit: (value: string) => void;
  placeholder?: string;
  disabled?: boolean;
  error?: string | null;
  type?: 'text' | 'search';
}

const COMMIT_DELAY_MS = 400;

/** A text filter that applies what is typed after a short pause, or at once on Enter. */
export function TextFilter({ id, label, value, onCommit, placeholder, disabled, error, type = 'text' }: Props) {
  const [draft, setDraft] = useState(value);
  const committed = useRef(value);

  useEffect(() => {
    committed.current = value;
    setDraft(value);
  }, [value]);

  useEffect(() => {
    if (draft === committed.current) return;
    const timer = window.setTimeout(() => {
      committed.current = draft;
      onCommit(draft);
    }, COMMIT_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [draft, onCommit]);

  function commitNow() {
    if (draft === committed.current) return;
    committed.current = draft;
    onCommit(draft);
  }

  return (
    <div className="filter">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type={type}
        value={draft}
        placeholder={placeholder}
        disabled={disabled}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => e.key === 'Enter' && commitNow()}
        onBlur={commitNow}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        data-testid={`filter-${id}`}
      />
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}
