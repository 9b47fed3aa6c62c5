import { LOG_LEVELS, type LogLevel, type Principal } from '../api/types.js';

/** The filters every view shares (docs/api.md, "Filters"); '' means "not set". */
export interface LogFilters {
  level: LogLevel[];
  service: string[];
  tenantId: string;
  q: string;
  /** ISO-8601 time, or relative to now (`15m`, `1h`, `24h`, `7d`). */
  from: string;
  to: string;
  requestId: string;
  traceId: string;
  errorSignature: string;
}

export const RELATIVE_RANGES = ['15m', '1h', '24h', '7d'] as const;
export const DEFAULT_FROM = '24h';

const TEXT_FILTERS = ['tenantId', 'q', 'from', 'to', 'requestId', 'traceId', 'errorSignature'] as const;
const LIST_FILTERS = ['level', 'service'] as const;

export const EMPTY_FILTERS: LogFilters = {
  level: [],
  service: [],
  tenantId: '',
  q: '',
  from: DEFAULT_FROM,
  to: '',
  requestId: '',
  traceId: '',
  errorSignature: '',
};

export function isRelativeRange(from: string, to: string): boolean {
  return to === '' && (RELATIVE_RANGES as readonly string[]).includes(from);
}

function list(params: URLSearchParams, name: string): string[] {
  return params
    .getAll(name)
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
}

/** Reads filters from URL query parameters (the same names as the API). */
export function filtersFromParams(params: URLSearchParams): LogFilters {
  const filters: LogFilters = { ...EMPTY_FILTERS };
  for (const name of TEXT_FILTERS) filters[name] = params.get(name) ?? EMPTY_FILTERS[name];
  filters.level = list(params, 'level').filter((l): l is LogLevel => (LOG_LEVELS as readonly string[]).includes(l));
  filters.service = list(params, 'service');
  return filters;
}

/**
 * Writes the filters that differ from "not set" into query parameters. The API and the
 * page URL use the same names, so a shared URL and an API call say the same thing.
 */
export function filtersToParams(filters: LogFilters, principal?: Principal): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of LIST_FILTERS) if (filters[name].length > 0) params.set(name, filters[name].join(','));
  for (const name of TEXT_FILTERS) {
    const value = filters[name].trim();
    if (value) params.set(name, value);
  }
  // a tenant key only ever asks for its own tenant
  if (principal?.scope === 'tenant') params.set('tenantId', principal.tenantId);
  return params;
}

/** The subset the live stream understands (docs/api.md, "Live stream protocol"). */
export interface StreamFilters {
  level?: string[];
  tenantId?: string;
  service?: string[];
  q?: string;
}

export function streamFilters(filters: LogFilters, principal: Principal): StreamFilters {
  const result: StreamFilters = {};
  if (filters.level.length > 0) result.level = filters.level;
  if (filters.service.length > 0) result.service = filters.service;
  const tenantId = principal.scope === 'tenant' ? principal.tenantId : filters.tenantId.trim();
  if (tenantId) result.tenantId = tenantId;
  if (filters.q.trim()) result.q = filters.q.trim();
  return result;
}

/** The parameters that LogFilters shows, so an API complaint about one appears next to it. */
export const FILTER_PARAMETERS: readonly string[] = [...TEXT_FILTERS, ...LIST_FILTERS];
