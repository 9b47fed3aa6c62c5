import { useEffect, useMemo, useState, type FormEvent } from 'react';
import {
  ALERT_KINDS,
  type AlertPreview,
  type AlertRule,
  type CreatedAlertRule,
} from '../../../server/alerts/api-types.js';
import { ApiError } from '../api/client.js';
import { LOG_LEVELS, SERVICE_NAMES } from '../api/types.js';
import { useSession } from '../auth/session.js';
import { CheckboxGroup } from '../filters/CheckboxGroup.js';
import { FieldError } from '../filters/FieldError.js';
import { ErrorBanner } from '../shell/ErrorBanner.js';
import { formatDateTime } from '../shell/format.js';
import { fieldOf, formFromRule, KIND_LABELS, ruleBody, type RuleForm } from './alert-form.js';
import { PreviewChart } from './PreviewChart.js';

interface Props {
  /** The rule to change, or null for a new one. */
  rule: AlertRule | null;
  onSaved: (rule: AlertRule | CreatedAlertRule, created: boolean) => void;
  onCancel: () => void;
}

const PREVIEW_DELAY_MS = 500;
const FIELD_LABELS: Partial<Record<keyof RuleForm, string>> = {
  query: 'the query',
  level: 'the level',
  service: 'the service',
  windowSeconds: 'the window',
  threshold: 'the threshold',
  condition: 'the condition',
  quietSeconds: 'the quiet period',
};
const asApiError = (error: unknown) => (error instanceof ApiError ? error : new ApiError(0, (error as Error).message));

/** Makes or changes a rule; while it is edited, shows how often it would have fired over the last 24 hours. */
export function AlertEditor({ rule, onSaved, onCancel }: Props) {
  const { api } = useSession();
  const [form, setForm] = useState<RuleForm>(() => formFromRule(rule));
  const [saveError, setSaveError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);
  const [preview, setPreview] = useState<{ result: AlertPreview | null; error: ApiError | null; loading: boolean }>({
    result: null,
    error: null,
    loading: true,
  });
  const set = <K extends keyof RuleForm>(name: K, value: RuleForm[K]) =>
    setForm((current) => ({ ...current, [name]: value }));

  const previewBody = useMemo(() => JSON.stringify(ruleBody(form, 'preview')), [form]);
  useEffect(() => {
    let current = true;
    setPreview((state) => ({ ...state, loading: true }));
    const timer = setTimeout(() => {
      api
        .send<AlertPreview>('POST', '/alerts/preview', JSON.parse(previewBody))
        .then((result) => current && setPreview({ result, error: null, loading: false }))
        .catch((error: unknown) => current && setPreview({ result: null, error: asApiError(error), loading: false }));
    }, PREVIEW_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [api, previewBody]);

  async function save(event: FormEvent) {
    event.preventDefault();
    setSaving(true);
    try {
      const saved = rule
        ? await api.send<AlertRule>('PATCH', `/alerts/${rule.id}`, ruleBody(form, 'edit'))
        : await api.send<CreatedAlertRule>('POST', '/alerts', ruleBody(form, 'create'));
      onSaved(saved, rule === null);
    } catch (error) {
      setSaveError(asApiError(error));
    } finally {
      setSaving(false);
    }
  }

  const faultyField = saveError ? fieldOf(saveError.parameter) : null;
  const errorFor = (field: keyof RuleForm) => (faultyField === field ? saveError!.message : null);
  const invalid = (field: keyof RuleForm) => ({
    'aria-invalid': faultyField === field || undefined,
    'aria-describedby': faultyField === field ? `alert-${field}-error` : undefined,
  });
  const title = rule ? `Edit “${rule.name}”` : 'New alert rule';

  return (
    <form
      className="alert-editor"
      aria-labelledby="alert-editor-title"
      onSubmit={save}
      data-testid="alert-editor"
      noValidate
    >
      <h2 id="alert-editor-title">{title}</h2>
      <div className="editor-grid">
        <div className="filter">
          <label htmlFor="alert-name">Name</label>
          <input id="alert-name" value={form.name} onChange={(e) => set('name', e.target.value)} {...invalid('name')} />
          <FieldError id="alert-name-error" message={errorFor('name')} />
        </div>
        <div className="filter">
          <label htmlFor="alert-kind">Fires on</label>
          <select
            id="alert-kind"
            value={form.kind}
            onChange={(e) => set('kind', e.target.value as RuleForm['kind'])}
            disabled={rule !== null}
            {...invalid('kind')}
          >
            {ALERT_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {KIND_LABELS[kind]}
              </option>
            ))}
          </select>
          <FieldError id="alert-kind-error" message={errorFor('kind')} />
        </div>
        <div className="filter wide">
          <label htmlFor="alert-query">Query</label>
          <input
            id="alert-query"
            type="search"
            value={form.query}
            onChange={(e) => set('query', e.target.value)}
            placeholder="as in the query view's search; empty: every entry"
            {...invalid('query')}
          />
          <FieldError id="alert-query-error" message={errorFor('query')} />
        </div>
      </div>
      <div className="filter-row">
        <CheckboxGroup
          id="alert-level"
          legend="Level"
          options={LOG_LEVELS}
          selected={form.level as (typeof LOG_LEVELS)[number][]}
          onChange={(level) => set('level', level)}
          error={errorFor('level')}
          optionClass={(l) => `level-${l}`}
        />
        <CheckboxGroup
          id="alert-service"
          legend="Service"
          options={SERVICE_NAMES}
          selected={form.service as (typeof SERVICE_NAMES)[number][]}
          onChange={(service) => set('service', service)}
          error={errorFor('service')}
        />
      </div>
      <div className="editor-grid">
        {form.kind === 'count' && (
          <>
            <div className="filter">
              <label htmlFor="alert-condition">When the count is</label>
              <select
                id="alert-condition"
                value={form.condition}
                onChange={(e) => set('condition', e.target.value as RuleForm['condition'])}
                {...invalid('condition')}
              >
                <option value="above">above the threshold</option>
                <option value="below">below the threshold (went quiet)</option>
              </select>
              <FieldError id="alert-condition-error" message={errorFor('condition')} />
            </div>
            <div className="filter">
              <label htmlFor="alert-threshold">Threshold</label>
              <input
                id="alert-threshold"
                inputMode="numeric"
                value={form.threshold}
                onChange={(e) => set('threshold', e.target.value)}
                {...invalid('threshold')}
              />
              <FieldError id="alert-threshold-error" message={errorFor('threshold')} />
            </div>
            <div className="filter">
              <label htmlFor="alert-windowSeconds">Window (seconds)</label>
              <input
                id="alert-windowSeconds"
                inputMode="numeric"
                value={form.windowSeconds}
                onChange={(e) => set('windowSeconds', e.target.value)}
                {...invalid('windowSeconds')}
              />
              <FieldError id="alert-windowSeconds-error" message={errorFor('windowSeconds')} />
            </div>
          </>
        )}
        {form.kind === 'regression' && (
          <div className="filter">
            <label htmlFor="alert-quietSeconds">Quiet period (seconds)</label>
            <input
              id="alert-quietSeconds"
              inputMode="numeric"
              value={form.quietSeconds}
              onChange={(e) => set('quietSeconds', e.target.value)}
              {...invalid('quietSeconds')}
            />
            <FieldError id="alert-quietSeconds-error" message={errorFor('quietSeconds')} />
          </div>
        )}
      </div>
      <div className="editor-grid">
        <div className="filter wide">
          <label htmlFor="alert-webhookUrl">Webhook URL</label>
          <input
            id="alert-webhookUrl"
            type="url"
            value={form.webhookUrl}
            onChange={(e) => set('webhookUrl', e.target.value)}
            placeholder={rule ? `unchanged (${rule.webhook.origin}/…)` : 'https://hooks.example.com/…'}
            autoComplete="off"
            {...invalid('webhookUrl')}
          />
          <FieldError id="alert-webhookUrl-error" message={errorFor('webhookUrl')} />
        </div>
        <div className="filter">
          <label htmlFor="alert-webhookFormat">Payload</label>
          <select
            id="alert-webhookFormat"
            value={form.webhookFormat}
            onChange={(e) => set('webhookFormat', e.target.value as RuleForm['webhookFormat'])}
            {...invalid('webhookFormat')}
          >
            <option value="json">JSON</option>
            <option value="slack">Slack</option>
          </select>
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={form.muted} onChange={(e) => set('muted', e.target.checked)} /> Muted
        </label>
      </div>

      <section
        className="alert-preview"
        aria-label="Preview over the last 24 hours"
        aria-live="polite"
        aria-busy={preview.loading}
        data-testid="alert-preview"
      >
        <h3>Last 24 hours</h3>
        {preview.error && (
          <p className="error-text">
            Cannot preview:{' '}
            {preview.error.parameter
              ? `${FIELD_LABELS[fieldOf(preview.error.parameter) ?? 'name'] ?? preview.error.parameter} `
              : ''}
            {preview.error.message}
          </p>
        )}
        {!preview.error && !preview.result && <p className="hint">Previewing…</p>}
        {preview.result && (
          <>
            <p data-testid="preview-summary">
              {preview.result.firings === 0
                ? 'This rule would not have fired in the last 24 hours.'
                : `This rule would have fired ${preview.result.firings === 1 ? 'once' : `${preview.result.firings} times`} in the last 24 hours.`}
            </p>
            {form.kind === 'count' && <PreviewChart preview={preview.result} threshold={Number(form.threshold)} />}
            {preview.result.periods.length > 0 && (
              <ul className="preview-periods">
                {preview.result.periods.slice(0, 10).map((period) => (
                  <li key={period.start}>
                    {formatDateTime(period.start)}
                    {period.end ? ` – ${formatDateTime(period.end)}` : ', still firing'} ·{' '}
                    {form.kind === 'count'
                      ? `peak ${period.peak}`
                      : `${period.peak} group${period.peak === 1 ? '' : 's'}`}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </section>

      <ErrorBanner message={saveError && !faultyField ? saveError.message : null} />
      <div className="editor-actions">
        <button type="submit" className="primary" disabled={saving} data-testid="save-alert">
          {saving ? 'Saving…' : rule ? 'Save' : 'Make the rule'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
