import { useCallback, useEffect, useMemo, useState } from 'react';
import { createApiClient, whoami, type ApiError } from './api/client.js';
import type { Principal } from './api/types.js';
import { forgetKey, SessionContext, storedKey, storeKey, type Session } from './auth/session.js';
import { SignIn } from './auth/SignIn.js';
import { Workspace } from './shell/Workspace.js';

type AuthState =
  | { status: 'checking' }
  | { status: 'signed-out'; notice: string | null }
  | { status: 'signed-in'; key: string; principal: Principal };

/** Signs in with an API key kept for this tab only, then shows the workspace. */
export function App() {
  const [auth, setAuth] = useState<AuthState>(() =>
    storedKey() ? { status: 'checking' } : { status: 'signed-out', notice: null },
  );

  const signOut = useCallback((notice: string | null = null) => {
    forgetKey();
    setAuth({ status: 'signed-out', notice });
  }, []);

  useEffect(() => {
    const key = storedKey();
    if (auth.status !== 'checking' || !key) return;
    whoami(key)
      .then((principal) => setAuth({ status: 'signed-in', key, principal }))
      .catch((error: ApiError) =>
        signOut(error.status === 401 ? 'Your key is no longer valid: sign in again.' : error.message),
      );
  }, [auth.status, signOut]);

  const session = useMemo<Session | null>(
    () =>
      auth.status === 'signed-in'
        ? {
            principal: auth.principal,
            api: createApiClient(auth.key, () => signOut('Your key is no longer valid: sign in again.')),
          }
        : null,
    [auth, signOut],
  );

  if (auth.status === 'checking') return <p className="empty">Checking your key…</p>;
  if (!session) {
    return (
      <SignIn
        notice={auth.status === 'signed-out' ? auth.notice : null}
        onSignedIn={(key, principal) => {
          storeKey(key);
          setAuth({ status: 'signed-in', key, principal });
        }}
      />
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <Workspace onSignOut={() => signOut()} />
    </SessionContext.Provider>
  );
}
