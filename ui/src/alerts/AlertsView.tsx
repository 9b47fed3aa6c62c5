import { useCallback, useEffect, useState } from 'react';
import type { AlertRule, AlertRuleList, CreatedAlertRule, TestFireResult } from '../../../server/alerts/api-types.js';
import { ApiError } from '../api/client.js';
import { useSession } from '../auth/session.js';
import { ErrorBanner } from '../shell/ErrorBanner.js';
import { LoadingNotice } from '../shell/LoadingNotice.js';
import { AlertEditor } from './AlertEditor.js';
import { AlertHistory } from './AlertHistory.js';
import { AlertRuleTable } from './AlertRuleTable.js';

type Panel =
  | { mode: 'none' }
  | { mode: 'new' }
  | { mode: 'edit'; rule: AlertRule }
  | { mode: 'history'; rule: AlertRule };

const asApiError = (error: unknown) => (error instanceof ApiError ? error : new ApiError(0, (error as Error).message));

/** Alert rules: the list with their state, an editor with a 24-hour preview, and each rule's history. */
export function AlertsView() {
  const { api, principal } = useSession();
  const [rules, setRules] = useState<AlertRule[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [panel, setPanel] = useState<Panel>({ mode: 'none' });
  const [notice, setNotice] = useState<{ text: string; secret?: string } | null>(null);
  const [reloads, setReloads] = useState(0);
  const reload = useCallback(() => setReloads((n) => n + 1), []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `reloads` is what asks for a new list
  useEffect(() => {
    let current = true;
    api
      .get<AlertRuleList>('/alerts')
      .then((list) => {
        if (!current) return;
        setRules(list.rules);
        setError(null);
      })
      .catch((failure: unknown) => {
        if (current) setError(asApiError(failure));
      });
    return () => {
      current = false;
    };
  }, [api, reloads]);

  // states move with every evaluation: refresh while the view is open
  useEffect(() => {
    const timer = setInterval(reload, 30_000);
    return () => clearInterval(timer);
  }, [reload]);

  async function act(action: () => Promise<string>) {
    try {
      setNotice({ text: await action() });
      setError(null);
    } catch (failure) {
      setError(asApiError(failure));
    }
    reload();
  }

  const actions = {
    edit: (rule: AlertRule) => setPanel({ mode: 'edit', rule }),
    history: (rule: AlertRule) => setPanel({ mode: 'history', rule }),
    test: (rule: AlertRule) =>
      act(async () => {
        const result = await api.send<TestFireResult>('POST', `/alerts/${rule.id}/test`);
        return result.delivered
          ? `Test notification for “${rule.name}” delivered (HTTP ${result.status}).`
          : `Test notification for “${rule.name}” failed: ${result.error}.`;
      }),
    mute: (rule: AlertRule) =>
      act(async () => {
        await api.send('PATCH', `/alerts/${rule.id}`, { muted: !rule.muted });
        return rule.muted ? `“${rule.name}” unmuted.` : `“${rule.name}” muted: it is evaluated, nothing is sent.`;
      }),
    snooze: (rule: AlertRule) =>
      act(async () => {
        const snoozed = rule.snoozedUntil !== null && Date.parse(rule.snoozedUntil) > Date.now();
        await api.send('PATCH', `/alerts/${rule.id}`, {
          snoozedUntil: snoozed ? null : new Date(Date.now() + 3_600_000).toISOString(),
        });
        return snoozed ? `“${rule.name}” is no longer snoozed.` : `“${rule.name}” snoozed for an hour.`;
      }),
    remove: (rule: AlertRule) =>
      act(async () => {
        await api.send('DELETE', `/alerts/${rule.id}`);
        setPanel((current) =>
          current.mode !== 'none' && current.mode !== 'new' && current.rule.id === rule.id ? { mode: 'none' } : current,
        );
        return `“${rule.name}” deleted.`;
      }),
  };

  function saved(rule: AlertRule | CreatedAlertRule, created: boolean) {
    setPanel({ mode: 'none' });
    const secret = created ? (rule as CreatedAlertRule).webhook.secret : undefined;
    setNotice({ text: created ? `Rule “${rule.name}” made.` : `Rule “${rule.name}” saved.`, secret });
    reload();
  }

  return (
    <section className="alerts" aria-label="Alert rules">
      <div className="toolbar">
        <button type="button" className="primary" onClick={() => setPanel({ mode: 'new' })} data-testid="new-alert">
          New rule
        </button>
        {rules && <span className="count">{rules.length === 1 ? '1 rule' : `${rules.length} rules`}</span>}
        <span className="hint">
          {principal.scope === 'tenant'
            ? `Rules of tenant ${principal.tenantId}; they count only its entries.`
            : 'Platform-wide and tenant rules.'}
        </span>
      </div>
      <ErrorBanner message={error?.message} />
      {notice && (
        <p className="notice" role="status" data-testid="alert-notice">
          {notice.text}
          {notice.secret && (
            <>
              {' '}
              Its signing secret, shown this once: <code data-testid="signing-secret">{notice.secret}</code>
            </>
          )}
        </p>
      )}
      {rules === null && !error && <LoadingNotice what="alert rules" />}
      {rules && rules.length === 0 && panel.mode !== 'new' && <p className="empty">No alert rules yet.</p>}
      <div className="alerts-body">
        {rules && rules.length > 0 && (
          <AlertRuleTable
            rules={rules}
            selected={panel.mode === 'edit' || panel.mode === 'history' ? panel.rule.id : null}
            actions={actions}
          />
        )}
        {(panel.mode === 'new' || panel.mode === 'edit') && (
          <AlertEditor
            key={panel.mode === 'edit' ? panel.rule.id : 'new'}
            rule={panel.mode === 'edit' ? panel.rule : null}
            onSaved={saved}
            onCancel={() => setPanel({ mode: 'none' })}
          />
        )}
        {panel.mode === 'history' && (
          <AlertHistory key={panel.rule.id} rule={panel.rule} onClose={() => setPanel({ mode: 'none' })} />
        )}
      </div>
    </section>
  );
}
