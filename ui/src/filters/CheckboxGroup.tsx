import { FieldError } from './FieldError.js';

interface Props<T extends string> {
  id: string;
  legend: string;
  options: readonly T[];
  selected: readonly T[];
  onChange: (selected: T[]) => void;
  error?: string | null;
  /** Extra class per option, e.g. the level colour. */
  optionClass?: (option: T) => string;
}

/** A multi-select as a row of toggle chips; nothing selected means "all". */
export function CheckboxGroup<T extends string>({
  id,
  legend,
  options,
  selected,
  onChange,
  error,
  optionClass,
}: Props<T>) {
  function toggle(option: T) {
    onChange(
      selected.includes(option)
        ? selected.filter((s) => s !== option)
        : options.filter((o) => o === option || selected.includes(o)),
    );
  }
  return (
    <fieldset
      className="filter chips"
      aria-describedby={error ? `${id}-error` : undefined}
      data-testid={`filter-${id}`}
    >
      <legend>{legend}</legend>
      <div className="chip-row">
        {options.map((option) => (
          <label key={option} className={`chip ${optionClass?.(option) ?? ''}`}>
            <input type="checkbox" checked={selected.includes(option)} onChange={() => toggle(option)} />
            <span>{option}</span>
          </label>
        ))}
      </div>
      <FieldError id={`${id}-error`} message={error} />
    </fieldset>
  );
}
