export type { LogLevel, StoredLogEntry } from '../../../src/types.js';
export { LOG_ENTRY_FIELDS, LOG_LEVELS, SERVICE_NAMES } from '../../../src/types.js';
export type {
  ErrorAggregates as ErrorGroupPage,
  ErrorGroup,
  Histogram,
  HistogramBucket,
  LogPage,
  Principal,
  StreamMessage,
} from '../../../src/api-types.js';
