import type pg from 'pg';
import { whereClause } from '../store/filters.js';
import type { AlertFilters, AlertKind, AlertPreview } from './api-types.js';
import { recordEvaluation, type NewEvent, type QuietUpdates } from './evaluate.js';
import { confinedRuleFilters, type RuleDefinition } from './rules.js';
import type { RuleRow } from './store.js';

/**
 * Error-group rules. A rule keeps the groups (error signatures) its query and filters have
 * matched (platform_log_alert_groups): when each was first and last seen, and the highest
 * version it was seen in. Its first evaluation only learns the groups of the last
 * BASELINE_DAYS, so that nothing already known fires; each later one reads the entries of
 * the windows since, window by window:
 * - new_group: a signature the rule has never seen fires once (per tenant for a tenant's rule,
 *   since its entries are only its tenant's);
 * - regression: a known signature fires when it comes back after `quietSeconds` without an
 *   entry, or in a version newer than any it was seen in before.
 */
export const BASELINE_DAYS = 30;
const DAY_MS = 86_400_000;

export interface SeenGroup {
  firstSeen: number;
  lastSeen: number;
  /** The highest version seen, or null when none was comparable. */
  version: string | null;
}

/** One signature's entries in one window and version. */
interface GroupRow {
  signature: string;
  version: string | null;
  bucket: string;
  first_seen: Date;
  last_seen: Date;
  count: number;
  template: string | null;
  error_type: string | null;
  services: string[];
  sample_id: string;
}

const SEMVER = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * Compares two versions as semantic versions (1.10.0 after 1.9.2; a pre-release before its
 * release); null when either is not one (a commit hash has no order).
 */
export function compareVersions(a: string, b: string): number | null {
  const x = SEMVER.exec(a);
  const y = SEMVER.exec(b);
  if (!x || !y) return null;
  for (let i = 1; i <= 3; i++) {
    const diff = Number(x[i] ?? 0) - Number(y[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  if (x[4] === y[4]) return 0;
  if (x[4] === undefined) return 1;
  if (y[4] === undefined) return -1;
  return x[4] < y[4] ? -1 : 1;
}

function highest(current: string | null, candidate: string | null): string | null {
  if (candidate === null || !SEMVER.test(candidate)) return current;
  if (current === null) return candidate;
  return (compareVersions(candidate, current) ?? 0) > 0 ? candidate : current;
}

export interface GroupedRule {
  query: string;
  filters: AlertFilters;
  tenantId: string | null;
}

/** The rule's error-signature entries of [from, to), per signature, version and bucket of `bucketMs`. */
async function groupRows(
  db: pg.Pool | pg.PoolClient,
  rule: GroupedRule,
  from: number,
  to: number,
  bucketMs: number,
  now: Date,
): Promise<GroupRow[]> {
  const filters = confinedRuleFilters(rule, { from: new Date(from), to: new Date(to) }, now);
  if (!filters) return [];
  const params: unknown[] = [];
  const where = whereClause(filters, params, ['error_signature IS NOT NULL']);
  params.push(bucketMs);
  const { rows } = await db.query<GroupRow>(
    `SELECT error_signature AS signature, version,
            floor(extract(epoch FROM "timestamp") * 1000 / $${params.length}::bigint)::bigint AS bucket,
            min("timestamp") AS first_seen, max("timestamp") AS last_seen, count(*)::int AS count,
            min(message_template) AS template, min(error_type) AS error_type,
            array_agg(DISTINCT service ORDER BY service) AS services,
            (array_agg(id ORDER BY "timestamp" DESC))[1] AS sample_id
     FROM platform_logs ${where}
     GROUP BY 1, 2, 3`,
    params,
  );
  return rows;
}

/** What the rule knew before `from`: every group of the BASELINE_DAYS before it. */
async function baseline(
  db: pg.Pool | pg.PoolClient,
  rule: GroupedRule,
  before: number,
  now: Date,
): Promise<Map<string, SeenGroup>> {
  const from = before - BASELINE_DAYS * DAY_MS;
  const rows = await groupRows(db, rule, from, before, before - from, now);
  return learn(new Map(), rows);
}

function learn(seen: Map<string, SeenGroup>, rows: GroupRow[]): Map<string, SeenGroup> {
  for (const row of rows) {
    const known = seen.get(row.signature);
    seen.set(row.signature, {
      firstSeen: Math.min(known?.firstSeen ?? Infinity, row.first_seen.getTime()),
      lastSeen: Math.max(known?.lastSeen ?? -Infinity, row.last_seen.getTime()),
      version: highest(known?.version ?? null, row.version),
    });
  }
  return seen;
}

export interface GroupFinding {
  kind: 'new_group' | 'regression';
  signature: string;
  end: number;
  count: number;
  details: Record<string, unknown>;
}

/**
 * The groups a rule finds over the windows ending at `ends` (each [end − interval, end)),
 * oldest first, from what it knew (`seen`, updated in place).
 */
export function findGroups(
  kind: AlertKind,
  quietMs: number,
  seen: Map<string, SeenGroup>,
  rows: GroupRow[],
  ends: number[],
  intervalMs: number,
): GroupFinding[] {
  const byWindow = new Map<number, GroupRow[]>();
  for (const row of rows) {
    const end = (Number(row.bucket) + 1) * intervalMs;
    byWindow.set(end, [...(byWindow.get(end) ?? []), row]);
  }
  const findings: GroupFinding[] = [];
  for (const end of ends) {
    const signatures = new Map<string, GroupRow[]>();
    for (const row of byWindow.get(end) ?? [])
      signatures.set(row.signature, [...(signatures.get(row.signature) ?? []), row]);
    for (const [signature, versions] of [...signatures].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const first = Math.min(...versions.map((row) => row.first_seen.getTime()));
      const last = Math.max(...versions.map((row) => row.last_seen.getTime()));
      const count = versions.reduce((sum, row) => sum + row.count, 0);
      const version = versions.reduce<string | null>((top, row) => highest(top, row.version), null);
      const newest = versions.reduce((a, b) => (a.last_seen >= b.last_seen ? a : b));
      const details = {
        template: newest.template,
        errorType: newest.error_type,
        services: [...new Set(versions.flatMap((row) => row.services))].sort(),
        version: version ?? newest.version,
        sampleId: newest.sample_id,
        count,
        firstSeenInWindow: new Date(first).toISOString(),
      };
      const known = seen.get(signature);
      if (!known) {
        if (kind === 'new_group') findings.push({ kind: 'new_group', signature, end, count, details });
      } else if (kind === 'regression') {
        if (first - known.lastSeen >= quietMs) {
          findings.push({
            kind: 'regression',
            signature,
            end,
            count,
            details: { ...details, reason: 'quiet', lastSeen: new Date(known.lastSeen).toISOString() },
          });
        } else if (version !== null && known.version !== null && (compareVersions(version, known.version) ?? 0) > 0) {
          findings.push({
            kind: 'regression',
            signature,
            end,
            count,
            details: { ...details, reason: 'version', previousVersion: known.version },
          });
        }
      }
      seen.set(signature, {
        firstSeen: Math.min(known?.firstSeen ?? first, first),
        lastSeen: Math.max(known?.lastSeen ?? last, last),
        version: highest(known?.version ?? null, version),
      });
    }
  }
  return findings;
}

async function storedGroups(db: pg.Pool, ruleId: string, signatures: string[]): Promise<Map<string, SeenGroup>> {
  const { rows } = await db.query<{
    signature: string;
    first_seen: Date;
    last_seen: Date;
    last_version: string | null;
  }>(
    `SELECT signature, first_seen, last_seen, last_version FROM platform_log_alert_groups WHERE rule_id = $1 AND signature = ANY($2::text[])`,
    [ruleId, signatures],
  );
  return new Map(
    rows.map((row) => [
      row.signature,
      { firstSeen: row.first_seen.getTime(), lastSeen: row.last_seen.getTime(), version: row.last_version },
    ]),
  );
}

async function saveGroups(client: pg.PoolClient, ruleId: string, groups: Map<string, SeenGroup>): Promise<void> {
  if (groups.size === 0) return;
  const entries = [...groups];
  await client.query(
    `INSERT INTO platform_log_alert_groups (rule_id, signature, first_seen, last_seen, last_version)
     SELECT $1, * FROM unnest($2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[])
     ON CONFLICT (rule_id, signature) DO UPDATE SET
       first_seen = least(platform_log_alert_groups.first_seen, EXCLUDED.first_seen),
       last_seen = greatest(platform_log_alert_groups.last_seen, EXCLUDED.last_seen),
       last_version = EXCLUDED.last_version`,
    [
      ruleId,
      entries.map(([signature]) => signature),
      entries.map(([, group]) => new Date(group.firstSeen)),
      entries.map(([, group]) => new Date(group.lastSeen)),
      entries.map(([, group]) => group.version),
    ],
  );
}

/** Evaluates an error-group rule over the windows it is owed; its first evaluation learns the baseline. */
export async function evaluateGroupRule(
  pool: pg.Pool,
  rule: RuleRow,
  ends: number[],
  intervalMs: number,
  now: Date,
  quiet?: QuietUpdates,
): Promise<{ windows: number; events: number }> {
  const grouped: GroupedRule = { query: rule.query, filters: rule.filters, tenantId: rule.tenant_id };
  const last = ends[ends.length - 1];
  if (rule.evaluated_through === null) {
    const known = await baseline(pool, grouped, last, now);
    const made = await recordEvaluation(
      pool,
      rule,
      { state: rule.state, stateSince: null, lastValue: 0, evaluatedThrough: new Date(last) },
      [],
      now,
      (client) => saveGroups(client, rule.id, known),
    );
    return { windows: made === null ? 0 : 1, events: 0 };
  }

  const rows = await groupRows(pool, grouped, ends[0] - intervalMs, last, intervalMs, now);
  if (rows.length === 0 && rule.state !== 'firing' && quiet) {
    quiet.add(rule, 0, new Date(last));
    return { windows: ends.length, events: 0 };
  }
  const seen = await storedGroups(pool, rule.id, [...new Set(rows.map((row) => row.signature))]);
  const touched = new Map<string, SeenGroup>();
  const findings = findGroups(rule.kind, (rule.quiet_seconds ?? 0) * 1000, seen, rows, ends, intervalMs);
  for (const signature of new Set(rows.map((row) => row.signature))) touched.set(signature, seen.get(signature)!);

  const events: NewEvent[] = findings.map((finding) => ({
    kind: finding.kind,
    dedupeKey:
      finding.kind === 'new_group'
        ? `new_group:${finding.signature}`
        : `regression:${finding.signature}:${new Date(finding.end).toISOString()}`,
    windowStart: new Date(finding.end - intervalMs),
    windowEnd: new Date(finding.end),
    value: finding.count,
    signature: finding.signature,
    details: finding.details,
    notify: true,
  }));
  // firing while windows find groups; resolved (recorded, not sent) at the first window without
  let state = rule.state;
  let stateSince: Date | null = null;
  const foundAt = new Set(findings.map((finding) => finding.end));
  for (const end of ends) {
    if (foundAt.has(end) && state !== 'firing') {
      state = 'firing';
      stateSince = new Date(end);
    } else if (!foundAt.has(end) && state === 'firing') {
      state = 'resolved';
      stateSince = new Date(end);
      events.push({
        kind: 'resolved',
        dedupeKey: `resolved:${new Date(end).toISOString()}`,
        windowStart: new Date(end - intervalMs),
        windowEnd: new Date(end),
        value: 0,
        notify: false,
      });
    }
  }
  const lastValue = findings.filter((finding) => finding.end === last).length;
  const made = await recordEvaluation(
    pool,
    rule,
    { state, stateSince, lastValue, evaluatedThrough: new Date(last) },
    events,
    now,
    (client) => saveGroups(client, rule.id, touched),
  );
  return { windows: made === null ? 0 : ends.length, events: made ?? 0 };
}

/** How often an error-group rule would have fired over the windows (the last 24 hours), from the groups known before them. */
export async function previewGroupRule(
  pool: pg.Pool,
  rule: RuleDefinition,
  tenantId: string | null,
  ends: number[],
  intervalMs: number,
  now: Date,
): Promise<Pick<AlertPreview, 'firings' | 'periods' | 'counts'>> {
  const grouped: GroupedRule = { query: rule.query, filters: rule.filters, tenantId };
  const from = ends[0] - intervalMs;
  const seen = await baseline(pool, grouped, from, now);
  const rows = await groupRows(pool, grouped, from, ends[ends.length - 1], intervalMs, now);
  const findings = findGroups(rule.kind, (rule.quietSeconds ?? 0) * 1000, seen, rows, ends, intervalMs);
  const perWindow = new Map<number, number>();
  for (const finding of findings) perWindow.set(finding.end, (perWindow.get(finding.end) ?? 0) + 1);
  const periods: AlertPreview['periods'] = [];
  for (const [end, groups] of [...perWindow].sort(([a], [b]) => a - b)) {
    periods.push({ start: new Date(end).toISOString(), end: new Date(end + intervalMs).toISOString(), peak: groups });
  }
  const counts = [...perWindow]
    .sort(([a], [b]) => a - b)
    .map(([end, count]) => ({ at: new Date(end).toISOString(), count }));
  return { firings: findings.length, periods, counts };
}
