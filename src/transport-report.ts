import type { LogLevel } from './types.js';

/** Why a transport dropped entries: its spool took no more, or it had no spool. */
export type DropReason = 'spool full' | 'spool unwritable' | 'no spool';

/** What one store's transport did over its life, as it reports when it closes. */
export interface StoreReport {
  /** Entries the store took, those sent from spools included. */
  written: number;
  /** Entries left in the spool, which the next process of the service sends. */
  spooled: number;
  dropped: number;
  droppedByLevel: Record<LogLevel, number>;
  dropReasons: Partial<Record<DropReason, number>>;
  /** The spool's folder, and why it could not be written if it could not. */
  spoolDir?: string;
  spoolProblem?: string;
}

/** Per store (`postgres`, `redis-stream`): its report, or null when its transport never reported (it was stopped). */
export type CloseReport = Record<string, StoreReport | null>;

const REPORT_BYTES = 8_192;

/**
 * Where a transport worker leaves its report for the main thread: shared memory, which the
 * main thread can read inside an 'exit' handler, where no message from the worker can arrive.
 * The length is stored last, so a reader sees the whole report or none.
 */
export function createReportBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(4 + REPORT_BYTES);
}

export function writeReport(buffer: SharedArrayBuffer, report: StoreReport): void {
  let json = JSON.stringify(report);
  if (Buffer.byteLength(json) > REPORT_BYTES)
    json = JSON.stringify({ ...report, spoolProblem: report.spoolProblem?.slice(0, 200) });
  const written = new TextEncoder().encodeInto(json, new Uint8Array(buffer, 4, REPORT_BYTES)).written;
  Atomics.store(new Int32Array(buffer, 0, 1), 0, written);
}

export function readReport(buffer: SharedArrayBuffer): StoreReport | null {
  const length = Atomics.load(new Int32Array(buffer, 0, 1), 0);
  if (length === 0) return null;
  return JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length).slice())) as StoreReport;
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * One line that says, per store, what was written, spooled (and where) and dropped (and why);
 * undefined when everything was written.
 */
export function describeReports(reports: CloseReport): string | undefined {
  const stores = Object.entries(reports);
  if (stores.every(([, report]) => report !== null && report.spooled === 0 && report.dropped === 0)) return undefined;
  const parts = stores.map(([store, report]) => {
    if (report === null) return `${store} did not report (its transport was stopped): what it held may be lost`;
    let text = `${store} wrote ${count(report.written)}, spooled ${count(report.spooled)}`;
    if (report.spooled > 0) text += ` to ${report.spoolDir}`;
    text += `, dropped ${count(report.dropped)}`;
    const reasons = Object.entries(report.dropReasons).map(([reason, n]) => `${reason}: ${count(n ?? 0)}`);
    if (reasons.length > 0) text += ` (${reasons.join(', ')}${report.spoolProblem ? `; ${report.spoolProblem}` : ''})`;
    return text;
  });
  return `platform-logging: ${parts.join('; ')}`;
}
