import { useState } from 'react';
import type { AlertRule } from '../../../server/alerts/api-types.js';
import { formatDateTime } from '../shell/format.js';
import { describeRule, KIND_LABELS } from './alert-form.js';

interface Actions {
  edit: (rule: AlertRule) => void;
  history: (rule: AlertRule) => void;
  test: (rule: AlertRule) => void;
  mute: (rule: AlertRule) => void;
  snooze: (rule: AlertRule) => void;
  remove: (rule: AlertRule) => void;
}

const STATE_LABELS = { ok: 'OK', firing: 'Firing', resolved: 'Resolved' } as const;

function snoozed(rule: AlertRule): boolean {
  return rule.snoozedUntil !== null && Date.parse(rule.snoozedUntil) > Date.now();
}

function Delivery({ rule }: { rule: AlertRule }) {
  if (!rule.delivery) return <span className="null">none yet</span>;
  if (rule.delivery.status === 'ok') return <span>delivered {formatDateTime(rule.delivery.at)}</span>;
  return (
    <span className="error-text" data-testid="delivery-failure">
      {rule.delivery.status === 'retrying' ? 'retrying' : 'failed'}: {rule.delivery.error}
      {rule.delivery.consecutiveFailures > 1 && ` (${rule.delivery.consecutiveFailures} attempts)`}
    </span>
  );
}

/** The rules with their state and the last delivery; each row's actions are buttons. */
export function AlertRuleTable({
  rules,
  selected,
  actions,
}: {
  rules: AlertRule[];
  selected: string | null;
  actions: Actions;
}) {
  const [confirming, setConfirming] = useState<string | null>(null);
  return (
    <div className="table-scroller alert-rules">
      <table data-testid="alert-rules">
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col">Rule</th>
            <th scope="col">Fires on</th>
            <th scope="col">Last value</th>
            <th scope="col">Notifications</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rules.map((rule) => (
            <tr
              key={rule.id}
              data-testid="alert-rule"
              data-rule-id={rule.id}
              data-state={rule.state}
              aria-selected={rule.id === selected}
            >
              <td>
                <span className={`alert-state alert-state-${rule.state}`} data-testid="alert-state">
                  {STATE_LABELS[rule.state]}
                </span>
                <div className="hint">since {formatDateTime(rule.stateSince)}</div>
                {rule.evaluationError && (
                  <div className="error-text" data-testid="evaluation-error">
                    cannot evaluate: {rule.evaluationError.error}
                  </div>
                )}
              </td>
              <td>
                <div className="alert-name">{rule.name}</div>
                <div className="hint">
                  {KIND_LABELS[rule.kind]}
                  {rule.query && (
                    <>
                      {' · '}
                      <code>{rule.query}</code>
                    </>
                  )}
                  {rule.tenantId && ` · tenant ${rule.tenantId}`}
                </div>
              </td>
              <td>{describeRule(rule)}</td>
              <td className="number">{rule.lastValue ?? '–'}</td>
              <td>
                <Delivery rule={rule} />
                {(rule.muted || snoozed(rule)) && (
                  <div className="hint" data-testid="alert-silenced">
                    {rule.muted ? 'muted' : `snoozed until ${formatDateTime(rule.snoozedUntil!)}`}
                  </div>
                )}
              </td>
              <td className="row-actions">
                <button type="button" onClick={() => actions.edit(rule)} aria-label={`Edit ${rule.name}`}>
                  Edit
                </button>
                <button type="button" onClick={() => actions.history(rule)} aria-label={`History of ${rule.name}`}>
                  History
                </button>
                <button
                  type="button"
                  onClick={() => actions.test(rule)}
                  aria-label={`Send a test notification for ${rule.name}`}
                >
                  Test
                </button>
                <button
                  type="button"
                  onClick={() => actions.mute(rule)}
                  aria-pressed={rule.muted}
                  aria-label={`${rule.muted ? 'Unmute' : 'Mute'} ${rule.name}`}
                >
                  {rule.muted ? 'Unmute' : 'Mute'}
                </button>
                <button
                  type="button"
                  onClick={() => actions.snooze(rule)}
                  aria-label={`${snoozed(rule) ? 'End the snooze of' : 'Snooze for an hour'} ${rule.name}`}
                >
                  {snoozed(rule) ? 'Unsnooze' : 'Snooze 1 h'}
                </button>
                {confirming === rule.id ? (
                  <button
                    type="button"
                    className="danger"
                    onClick={() => {
                      setConfirming(null);
                      actions.remove(rule);
                    }}
                    aria-label={`Confirm deleting ${rule.name}`}
                  >
                    Confirm delete
                  </button>
                ) : (
                  <button type="button" onClick={() => setConfirming(rule.id)} aria-label={`Delete ${rule.name}`}>
                    Delete
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
