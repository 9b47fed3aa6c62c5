import { z } from 'zod';
import { LOG_LEVELS, type LogLevel, type StoredLogEntry } from '../../src/types.js';
import type { Principal } from '../../src/api-types.js';
import { confineToPrincipal } from '../auth.js';
import { MAX_SEARCH_LENGTH } from '../http/params.js';
import type { QueryNode } from '../query/ast.js';
import { compileMatcher, type EntryMatcher } from '../query/match.js';
import { QuerySyntaxError, parseQuery } from '../query/parse.js';

/** What a client asks for: the filters of the protocol's `subscribe` message, `q` parsed. */
export interface StreamFilters {
  levels?: LogLevel[];
  tenantId?: string;
  services?: string[];
  /** The query language's tree (the same one GET /api/platform/logs evaluates in SQL). */
  query?: QueryNode;
}

export interface SubscribeRequest {
  filters: StreamFilters;
  /** Where to resume: the position, and the sealed form the client sent. */
  resumeFrom?: { position: string; sealed: string };
}

const text = z.string().min(1).max(200);

const subscribeMessage = z.strictObject({
  type: z.literal('subscribe'),
  filters: z
    .strictObject({
      level: z.array(z.enum(LOG_LEVELS)).max(LOG_LEVELS.length).optional(),
      tenantId: text.optional(),
      service: z.array(text).max(50).optional(),
      q: z.string().max(MAX_SEARCH_LENGTH).optional(),
    })
    .default({}),
  resumeFrom: z.string().min(1).max(200).nullish(),
});

export class SubscribeError extends Error {
  override name = 'SubscribeError';
  constructor(
    message: string,
    readonly parameter?: string,
    /** A query's syntax error: where, and what was expected. */
    readonly details?: { position: number; expected: string },
  ) {
    super(message);
  }
}

/**
 * A subscribe message (parsed JSON, or the SSE query turned into the same shape), checked.
 * `openPosition` gives the position a sealed resumeFrom holds, null when it is none of this key's;
 * relative times in `q` count from `now`.
 */
export function parseSubscribe(
  input: unknown,
  openPosition: (sealed: string) => string | null,
  now = new Date(),
): SubscribeRequest {
  const parsed = subscribeMessage.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.filter((part) => part !== 'filters');
    const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    const parameter = path.length > 0 ? String(path[0]) : unknownKey;
    throw new SubscribeError(path.length > 0 ? `${path.join('.')}: ${issue.message}` : issue.message, parameter);
  }
  const { filters, resumeFrom } = parsed.data;
  let query: QueryNode | null = null;
  try {
    query = parseQuery(filters.q ?? '', { now }).root;
  } catch (error) {
    if (!(error instanceof QuerySyntaxError)) throw error;
    throw new SubscribeError(`q: ${error.message}`, 'q', { position: error.position, expected: error.expected });
  }
  const position = resumeFrom ? openPosition(resumeFrom) : null;
  if (resumeFrom && position === null)
    throw new SubscribeError('resumeFrom: not a stream position this server gave to this key', 'resumeFrom');
  const request: SubscribeRequest = { filters: {} };
  if (filters.level?.length) request.filters.levels = [...new Set(filters.level)];
  if (filters.service?.length) request.filters.services = [...new Set(filters.service)];
  if (filters.tenantId !== undefined) request.filters.tenantId = filters.tenantId;
  if (query) request.filters.query = query;
  if (resumeFrom && position !== null) request.resumeFrom = { position, sealed: resumeFrom };
  return request;
}

/** A subscription's filters as the fan-out applies them, narrowed to what the principal may see. */
export class EntryFilter {
  private readonly levels: ReadonlySet<string> | null;
  private readonly services: ReadonlySet<string> | null;
  private readonly tenantId: string | undefined;
  private readonly query: EntryMatcher;
  /** A tenant key that asked for another tenant: nothing matches, as over HTTP. */
  private readonly none: boolean;

  constructor(filters: StreamFilters, principal: Principal) {
    const confined = confineToPrincipal(principal, filters);
    this.none = confined === null;
    this.levels = filters.levels ? new Set(filters.levels) : null;
    this.services = filters.services ? new Set(filters.services) : null;
    this.tenantId = confined?.tenantId;
    // confined before the query applies: a tenantId term in q can only narrow the key's tenant
    this.query = compileMatcher(filters.query ?? null);
  }

  matches(entry: StoredLogEntry): boolean {
    return (
      !this.none &&
      (this.levels === null || this.levels.has(entry.level)) &&
      (this.tenantId === undefined || entry.tenantId === this.tenantId) &&
      (this.services === null || this.services.has(entry.service)) &&
      this.query(entry)
    );
  }
}
