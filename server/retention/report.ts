import type { RetentionDays } from '../../src/config.js';
import type { ExpiryReason } from './expiry.js';

export interface DroppedPartition {
  name: string;
  level: string;
  /** ISO-8601 bounds of the partition: [lowerBound, upperBound). */
  lowerBound: string;
  upperBound: string;
  /** Rows it held, counted exactly when it was dropped. */
  rows: number;
  reason: ExpiryReason;
}

export interface CleanedDefaultPartition {
  name: string;
  /** Rows past retention deleted from it. */
  rows: number;
}

/** What a retention run did; in a dry run, what it would have done. Plain JSON. */
export interface RetentionReport {
  /** `skipped` when another run held the retention lock: that run does the work. */
  status: 'completed' | 'skipped';
  dryRun: boolean;
  now: string;
  retentionDays: RetentionDays;
  maxRetentionDays: number;
  dropped: DroppedPartition[];
  created: string[];
  defaultPartitions: CleanedDefaultPartition[];
  /** Error rollup rows (platform_log_error_rollup) of expired days removed. */
  errorRollupRows: number;
  rowsRemoved: number;
  durationMs: number;
}

const integer = new Intl.NumberFormat('en-US');

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    '  ' +
    cells
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The report as text for an operator's terminal. */
export function formatReport(report: RetentionReport): string {
  const kept = Object.entries(report.retentionDays)
    .map(([level, days]) => `${level} ${days} d`)
    .join(', ');
  const lines = [
    `Retention at ${report.now}${report.dryRun ? ' (dry run: nothing was changed)' : ''}`,
    `Kept: ${kept}; nothing past ${report.maxRetentionDays} d`,
  ];
  if (report.status === 'skipped') {
    lines.push('Skipped: another retention run holds the lock and is doing this work.');
    return lines.join('\n');
  }
  const verb = report.dryRun ? 'would be' : 'were';
  lines.push('', `Partitions that ${verb} dropped: ${report.dropped.length}`);
  if (report.dropped.length > 0) {
    lines.push(
      ...table(
        ['partition', 'level', 'from', 'to', 'rows', 'reason'],
        report.dropped.map((p) => [p.name, p.level, p.lowerBound, p.upperBound, integer.format(p.rows), p.reason]),
      ),
    );
  }
  if (report.defaultPartitions.length > 0) {
    lines.push('', `Expired rows in DEFAULT partitions that ${verb} deleted:`);
    lines.push(
      ...table(
        ['partition', 'rows'],
        report.defaultPartitions.map((p) => [p.name, integer.format(p.rows)]),
      ),
    );
  }
  lines.push('', `Partitions that ${verb} created ahead: ${report.created.length}`);
  if (report.created.length > 0) lines.push(`  ${report.created.join(', ')}`);
  lines.push(
    '',
    `Rows ${report.dryRun ? 'that would be ' : ''}removed: ${integer.format(report.rowsRemoved)} in ${report.durationMs} ms`,
  );
  return lines.join('\n');
}
