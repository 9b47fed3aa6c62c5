import { useCallback } from 'react';
import type { ApiError } from '../api/client.js';
import { LOG_LEVELS, SERVICE_NAMES, type Principal } from '../api/types.js';
import { CheckboxGroup } from './CheckboxGroup.js';
import type { LogFilters as Filters } from './filters.js';
import { TextFilter } from './TextFilter.js';
import { TimeRangeFilter } from './TimeRangeFilter.js';

interface Props {
  filters: Filters;
  onChange: (filters: Filters) => void;
  principal: Principal;
  /** The API's complaint about a parameter, shown next to that filter. */
  error: ApiError | null;
  /** The live tail filters by level, service, tenant and text only: no time range, no request, trace or group. */
  live: boolean;
}

const PINNED = [
  ['requestId', 'Request'],
  ['traceId', 'Trace'],
  ['errorSignature', 'Error group'],
] as const;

export function LogFilters({ filters, onChange, principal, error, live }: Props) {
  const errorFor = (parameter: string) => (error?.parameter === parameter ? error.message : null);
  const set = useCallback(
    <K extends keyof Filters>(name: K, value: Filters[K]) => onChange({ ...filters, [name]: value }),
    [filters, onChange],
  );
  const setTenant = useCallback((value: string) => set('tenantId', value), [set]);
  const setQuery = useCallback((value: string) => set('q', value), [set]);
  const tenantKey = principal.scope === 'tenant';

  return (
    <section className="filters" aria-label="Filters" data-testid="filters">
      <div className="filter-row">
        <TextFilter
          id="q"
          type="search"
          label="Search messages"
          value={filters.q}
          onCommit={setQuery}
          placeholder='words, "a phrase", -excluded, service:admin, @orderId:ord_1, @cart.total:>100'
          error={errorFor('q')}
        />
        <TextFilter
          id="tenantId"
          label={tenantKey ? 'Tenant (fixed by your key)' : 'Tenant'}
          value={tenantKey ? principal.tenantId : filters.tenantId}
          onCommit={setTenant}
          placeholder="any tenant"
          disabled={tenantKey}
          error={errorFor('tenantId')}
        />
        {!live && (
          <TimeRangeFilter
            from={filters.from}
            to={filters.to}
            onChange={(range) => onChange({ ...filters, ...range })}
            fromError={errorFor('from')}
            toError={errorFor('to')}
          />
        )}
      </div>
      <div className="filter-row">
        <CheckboxGroup
          id="level"
          legend="Level"
          options={LOG_LEVELS}
          selected={filters.level}
          onChange={(level) => set('level', level)}
          error={errorFor('level')}
          optionClass={(l) => `level-${l}`}
        />
        <CheckboxGroup
          id="service"
          legend="Service"
          options={SERVICE_NAMES}
          selected={filters.service}
          onChange={(service) => set('service', service)}
          error={errorFor('service')}
        />
      </div>
      {live && PINNED.some(([name]) => filters[name]) && (
        <p className="hint">
          The live tail shows every request, trace and error group; those filters apply to Query and Errors.
        </p>
      )}
      {!live && PINNED.some(([name]) => filters[name]) && (
        <div className="filter-row pinned" data-testid="pinned-filters">
          {PINNED.filter(([name]) => filters[name]).map(([name, label]) => (
            <span key={name} className="pin">
              {label}: <code>{filters[name]}</code>
              <button
                type="button"
                className="link"
                onClick={() => set(name, '')}
                aria-label={`Remove the ${label.toLowerCase()} filter`}
              >
                ×
              </button>
              {errorFor(name) && (
                <span className="field-error" role="alert">
                  {errorFor(name)}
                </span>
              )}
            </span>
          ))}
        </div>
      )}
    </section>
  );
}
