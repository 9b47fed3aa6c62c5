import { validate as isUuid } from 'uuid';
import { environmentSetting, textSetting } from '../src/config.js';
import { computeErrorSignature, generalizeMessage } from '../src/error-aggregation.js';
import { uuidv7 } from '../src/id.js';
import { createKeyRules, redactKeysFromEnv } from '../src/redact.js';
import { createDataSanitizer, type DataSanitizer } from '../src/safe-data.js';
import { wellFormed } from '../src/safe-string.js';
import { errorCodeOf, serializeError } from '../src/serialize-error.js';
import type { EntryOptions } from '../src/transport-targets.js';
import { LOG_ENTRY_FIELDS, PLATFORM_TENANT_ID, isLogLevel, type LogLevel, type StoredLogEntry } from '../src/types.js';

const KNOWN_KEYS = new Set<string>([...LOG_ENTRY_FIELDS, 'msg', 'time']);
const TEXT_FIELDS = [
  'tenantSlug',
  'userId',
  'sessionId',
  'impersonatorId',
  'requestId',
  'traceId',
  'spanId',
  'action',
  'file',
  'function',
  'errorType',
  'errorCode',
  'errorStack',
  'version',
  'region',
] as const;
const INT32_MAX = 2_147_483_647;
/** PostgreSQL's timestamptz range ends in year 294276; JavaScript's Date ends earlier anyway. */
const MIN_TIME_MS = Date.UTC(-4712, 0, 1);

/** pino's numeric levels: 10 trace and 20 debug are debug, 60 fatal is error. */
function levelOf(value: unknown): LogLevel {
  if (typeof value === 'string') {
    const name = value.toLowerCase();
    if (isLogLevel(name)) return name;
    if (name === 'trace') return 'debug';
    if (name === 'fatal') return 'error';
    const n = Number(name);
    if (name !== '' && Number.isFinite(n)) return levelOf(n);
    return 'info';
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'info';
  if (value < 30) return 'debug';
  if (value < 40) return 'info';
  if (value < 50) return 'warn';
  return 'error';
}

/** PostgreSQL text and jsonb refuse the NUL character; it becomes U+FFFD. */
function cleanText(value: string): string {
  return value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value;
}

function textOrNull(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

function cleanTextOrNull(value: unknown): string | null {
  const text = textOrNull(value);
  return text === null ? null : cleanText(text);
}

// The second ("2025-01-31T12:00:00.") of the last timestamp found canonical: entries come in
// time order, so most timestamps are checked against it without parsing a date.
let canonicalSecond = '';

function isCanonicalInSecond(value: string): boolean {
  return (
    value.length === 24 &&
    value.startsWith(canonicalSecond) &&
    isDigit(value.charCodeAt(20)) &&
    isDigit(value.charCodeAt(21)) &&
    isDigit(value.charCodeAt(22)) &&
    value.charCodeAt(23) === 90 // Z
  );
}

const isDigit = (code: number) => code >= 48 && code <= 57;

/** The entry's time as ISO-8601 UTC with milliseconds; null when it is not a storable time. */
function timestampOf(raw: Record<string, unknown>): string | null {
  const value = raw.timestamp ?? raw.time;
  if (value === undefined || value === null) return new Date().toISOString();
  if (typeof value === 'string' && canonicalSecond !== '' && isCanonicalInSecond(value)) return value;
  const date = typeof value === 'number' || typeof value === 'string' ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime()) || date.getTime() < MIN_TIME_MS) return null;
  const iso = date.toISOString();
  if (iso === value) canonicalSecond = iso.slice(0, 20);
  return iso;
}

/**
 * JSON escapes of what PostgreSQL refuses: NUL (text and jsonb), and UTF-16 surrogates (lone
 * ones in jsonb; pairs match too, which only costs a closer look).
 */
const UNSTORABLE_ESCAPE = /\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

function storable(value: unknown): unknown {
  if (typeof value === 'string') return cleanText(wellFormed(value));
  if (Array.isArray(value)) return value.map(storable);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [cleanText(wellFormed(key)), storable(item)]));
}

/**
 * The value itself when jsonb takes it as it is (it was parsed from JSON, so it is JSON-safe);
 * otherwise a copy with NUL characters and lone surrogates replaced, in keys as in values,
 * so that one such entry never fails its whole batch.
 */
function storableData(value: Record<string, unknown>): Record<string, unknown> {
  if (!UNSTORABLE_ESCAPE.test(JSON.stringify(value))) return value;
  return storable(value) as Record<string, unknown>;
}

function isEmpty(object: Record<string, unknown>): boolean {
  for (const _ in object) return false;
  return true;
}

/**
 * The entry's data: the given object (used as it is when nothing joins it), a value that is
 * not an object under `value`, and the unknown keys; null when all of that is empty.
 */
function dataOf(given: unknown, extra: Record<string, unknown>): Record<string, unknown> | null {
  const isObject = given !== null && typeof given === 'object' && !Array.isArray(given);
  if (isEmpty(extra) && (isObject || given === undefined || given === null)) {
    return isObject && !isEmpty(given as Record<string, unknown>) ? (given as Record<string, unknown>) : null;
  }
  const data: Record<string, unknown> = isObject ? { ...(given as Record<string, unknown>) } : {};
  if (given !== undefined && given !== null && !isObject) data.value = given;
  return Object.assign(data, extra);
}

/** What an entry gets when its line lacks it, and the redaction of its data. */
export interface EntryDefaults {
  service: string;
  environment: string;
  version: string | null;
  region: string | null;
  /** Redacts data; null when redaction is off. */
  sanitize: DataSanitizer | null;
}

const NO_DEFAULTS: EntryDefaults = {
  service: 'unknown',
  environment: 'unknown',
  version: null,
  region: null,
  sanitize: null,
};

// Data as the logger left it passes unchanged: no string is cut twice, no object shrunk twice.
const WORKER_LIMITS = { maxStringLength: Infinity, maxKeys: Infinity, maxValues: Infinity, maxDepth: 32 };

/** The transport options' defaults, else those of the same variables createLogger reads. */
export function entryDefaults(options: EntryOptions, env: NodeJS.ProcessEnv = process.env): EntryDefaults {
  const redact = options.redact === false ? { enabled: false } : (options.redact ?? { keys: redactKeysFromEnv(env) });
  return {
    service: options.service || 'unknown',
    environment: options.environment || environmentSetting(env),
    version: options.version || (textSetting('APP_VERSION', env.APP_VERSION) ?? env.npm_package_version ?? null),
    region: options.region || (textSetting('APP_REGION', env.APP_REGION) ?? null),
    sanitize: redact.enabled === false ? null : createDataSanitizer(createKeyRules(redact), WORKER_LIMITS),
  };
}

/**
 * A plain pino error (pino's serializer writes `{ type, message, stack, code, cause }` under
 * `err`) as the entry's error fields; what else it holds stays in data under `err`.
 */
function takeError(entry: StoredLogEntry, err: Record<string, unknown>, extra: Record<string, unknown>): void {
  const { type, message: _message, stack: _stack, code: _code, cause: _cause, ...rest } = err;
  const fields = serializeError(err, Infinity);
  entry.errorType = typeof type === 'string' && type !== '' ? type : fields.errorType;
  entry.errorCode = errorCodeOf(err);
  entry.errorStack = fields.errorStack;
  if (isEmpty(rest)) delete extra.err;
  else extra.err = rest;
}

/**
 * Turns one parsed line into the entry both stores keep. Accepts the wire format (every
 * LogEntry key) and plain pino lines (msg, numeric level, time in ms); what is missing gets a
 * sensible value, what is unknown goes into data, and what a store would refuse (invalid ids,
 * times, NUL characters) is replaced, the original kept in data, so that one bad entry never
 * fails its batch. Warn and error entries get their error signature and message template.
 */
export function normalizeEntry(raw: Record<string, unknown>, defaults: EntryDefaults = NO_DEFAULTS): StoredLogEntry {
  return normalize(raw, false, defaults);
}

/**
 * One line a transport received: a JSON object becomes an entry as normalizeEntry says;
 * anything else is kept as the message of an entry. A line without any escape of a
 * character the stores refuse needs no cleaning, which spares a second look at every value.
 */
export function normalizeLine(line: string, defaults: EntryDefaults = NO_DEFAULTS): StoredLogEntry {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    raw = undefined;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    return normalize({ message: line }, false, defaults);
  return normalize(raw as Record<string, unknown>, !UNSTORABLE_ESCAPE.test(line), defaults);
}

/** `clean`: no value holds a NUL character or a lone surrogate. */
function normalize(raw: Record<string, unknown>, clean: boolean, defaults: EntryDefaults): StoredLogEntry {
  const text = clean ? textOrNull : cleanTextOrNull;
  const extra: Record<string, unknown> = {};
  for (const key in raw) if (!KNOWN_KEYS.has(key) && raw[key] !== undefined) extra[key] = raw[key];

  let id = typeof raw.id === 'string' && isUuid(raw.id) ? raw.id.toLowerCase() : null;
  if (id === null) {
    if (raw.id !== undefined && raw.id !== null) extra.id = raw.id;
    id = uuidv7();
  }
  let timestamp = timestampOf(raw);
  if (timestamp === null) {
    extra.timestamp = raw.timestamp ?? raw.time;
    timestamp = new Date().toISOString();
  }
  let line: number | null = null;
  if (typeof raw.line === 'number' && Number.isInteger(raw.line) && Math.abs(raw.line) <= INT32_MAX) line = raw.line;
  else if (raw.line !== undefined && raw.line !== null) extra.line = raw.line;

  const level = levelOf(raw.level);
  const entry: StoredLogEntry = {
    id,
    timestamp,
    level,
    tenantId: text(raw.tenantId) || PLATFORM_TENANT_ID,
    tenantSlug: null,
    userId: null,
    sessionId: null,
    impersonatorId: null,
    requestId: null,
    traceId: null,
    spanId: null,
    service: text(raw.service) || defaults.service,
    action: null,
    file: null,
    line,
    function: null,
    message: text(raw.message ?? raw.msg) ?? '',
    data: null,
    errorType: null,
    errorCode: null,
    errorStack: null,
    environment: text(raw.environment) || defaults.environment,
    version: null,
    region: null,
    errorSignature: null,
    messageTemplate: null,
  };
  for (const field of TEXT_FIELDS) entry[field] = text(raw[field]);
  entry.version ??= defaults.version;
  entry.region ??= defaults.region;
  // the request id of pino-http (bound under `req`) and of hono-pino (`reqId`)
  if (entry.requestId === null && raw.req !== null && typeof raw.req === 'object')
    entry.requestId = text((raw.req as { id?: unknown }).id);
  entry.requestId ??= text(raw.reqId);
  if (entry.errorType === null && raw.err !== null && typeof raw.err === 'object' && !Array.isArray(raw.err))
    takeError(entry, raw.err as Record<string, unknown>, extra);
  let data = dataOf(raw.data, extra);
  if (data !== null && defaults.sanitize !== null) data = defaults.sanitize(data);
  entry.data = data && (clean ? data : storableData(data));
  if (level === 'warn' || level === 'error') {
    entry.messageTemplate = generalizeMessage(entry.message);
    entry.errorSignature = computeErrorSignature(entry);
  }
  return entry;
}
