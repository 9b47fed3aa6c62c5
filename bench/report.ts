/**
 * The common shape of every benchmark figure, the one table they are printed in, and the
 * writer that puts that table into docs/benchmarks.md with the machine it ran on.
 */
import { readFile, writeFile } from 'node:fs/promises';

/** A goal on the figure's value or on its ratio to the baseline. */
export interface Goal {
  on: 'value' | 'ratio';
  atLeast?: number;
  atMost?: number;
  /** Set when the goal is stated for a size this run did not reach, e.g. 'at 1M entries'. */
  statedFor?: string;
}

export interface Figure {
  benchmark: string;
  measure: string;
  value: number;
  unit: string;
  /** The same kind of figure for the simplest way of doing the job, measured in the same run. */
  baseline?: { name: string; value: number };
  goal?: Goal;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  postgres: string;
  redis: string;
  date: string;
  loadAverage: [number, number, number];
}

export interface RunReport {
  machine: Machine;
  /** The command line flags, as given. */
  flags: string;
  /** What size each benchmark ran at. */
  sizes: string[];
  seconds: number;
  figures: Figure[];
}

/** Units whose small values need decimals; rates are whole numbers. */
const FRACTIONAL_UNITS = new Set(['ms', 'µs', 'KiB', 'MB']);

function formatValue(value: number, unit: string): string {
  const digits = !FRACTIONAL_UNITS.has(unit) || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${unit}`;
}

export function ratio(figure: Figure): number | undefined {
  return figure.baseline ? figure.value / figure.baseline.value : undefined;
}

function goalText(goal: Goal, unit: string): string {
  const sign = goal.atLeast !== undefined ? '≥' : '≤';
  const limit = goal.atLeast ?? goal.atMost!;
  const text = goal.on === 'ratio' ? `${sign} ${limit}x` : `${sign} ${formatValue(limit, unit)}`;
  return goal.statedFor ? `${text} ${goal.statedFor}` : text;
}

/** 'yes' / 'no', or 'n/a' when the goal is stated for another size or has no baseline to compare with. */
export function goalMet(figure: Figure): 'yes' | 'no' | 'n/a' | '' {
  const { goal } = figure;
  if (!goal) return '';
  const measured = goal.on === 'ratio' ? ratio(figure) : figure.value;
  if (goal.statedFor || measured === undefined || !Number.isFinite(measured)) return 'n/a';
  const ok =
    (goal.atLeast === undefined || measured >= goal.atLeast) && (goal.atMost === undefined || measured <= goal.atMost);
  return ok ? 'yes' : 'no';
}

/** Two decimals, or two significant digits for ratios too small for them. */
function formatRatio(r: number): string {
  return `${r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}x`;
}

export function formatTable(figures: Figure[]): string {
  const lines = [
    '| benchmark | measure | value | baseline | baseline value | ratio | goal | met? |',
    '|---|---|---:|---|---:|---:|---|---|',
  ];
  for (const figure of figures) {
    const r = ratio(figure);
    lines.push(
      `| ${[
        figure.benchmark,
        figure.measure,
        formatValue(figure.value, figure.unit),
        figure.baseline?.name ?? '',
        figure.baseline ? formatValue(figure.baseline.value, figure.unit) : '',
        r === undefined ? '' : formatRatio(r),
        figure.goal ? goalText(figure.goal, figure.unit) : '',
        goalMet(figure),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

export function formatMachine(machine: Machine): string {
  return [
    `- Date: ${machine.date}`,
    `- CPU: ${machine.cpu}, ${machine.cores} cores; memory ${machine.memoryGiB.toFixed(1)} GiB`,
    `- Load average at start (1, 5, 15 min): ${machine.loadAverage.map((n) => n.toFixed(2)).join(', ')}`,
    `- Node ${machine.node}; PostgreSQL ${machine.postgres}; Redis ${machine.redis}`,
  ].join('\n');
}

export function formatReport(report: RunReport): string {
  return [
    `Command: \`npm run bench${report.flags ? ` -- ${report.flags}` : ''}\` (${Math.round(report.seconds)} s in all)`,
    '',
    formatMachine(report.machine),
    '',
    'Sizes:',
    '',
    ...report.sizes.map((size) => `- ${size}`),
    '',
    formatTable(report.figures),
  ].join('\n');
}

const begin = (mode: string) => `<!-- bench:${mode}:begin -->`;
const end = (mode: string) => `<!-- bench:${mode}:end -->`;
/** Where the results of a mode not yet in the document go. */
const NEW_RESULTS = '<!-- bench:new-results -->';

/**
 * Puts the report between the document's markers for `mode` (e.g. 'quick'), leaving the
 * rest of the document, written by hand, as it is.
 */
export async function writeReport(path: string, mode: string, heading: string, report: RunReport): Promise<void> {
  const document = await readFile(path, 'utf8');
  const block = `${begin(mode)}\n${formatReport(report)}\n${end(mode)}`;
  const from = document.indexOf(begin(mode));
  const to = document.indexOf(end(mode));
  let updated: string;
  if (from >= 0 && to > from) {
    updated = document.slice(0, from) + block + document.slice(to + end(mode).length);
  } else if (document.includes(NEW_RESULTS)) {
    updated = document.replace(NEW_RESULTS, () => `### ${heading}\n\n${block}\n\n${NEW_RESULTS}`);
  } else {
    updated = `${document.trimEnd()}\n\n### ${heading}\n\n${block}\n`;
  }
  await writeFile(path, updated);
}
