import { useState, type FormEvent } from 'react';
import { ApiError, whoami } from '../api/client.js';
import type { Principal } from '../api/types.js';

interface Props {
  notice: string | null;
  onSignedIn: (key: string, principal: Principal) => void;
}

export function SignIn({ notice, onSignedIn }: Props) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setError('Enter an API key.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onSignedIn(trimmed, await whoami(trimmed));
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? 'This key is not valid.' : (e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="sign-in">
      <form onSubmit={submit} aria-labelledby="sign-in-title" data-testid="sign-in">
        <h1 id="sign-in-title">Platform logs</h1>
        {notice && <p className="notice">{notice}</p>}
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          autoFocus
          value={key}
          onChange={(e) => setKey(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'api-key-error' : undefined}
        />
        {error && (
          <p id="api-key-error" className="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="hint">The key is kept for this browser tab only.</p>
      </form>
    </main>
  );
}
