import { createContext, useContext } from 'react';
import type { ApiClient } from '../api/client.js';
import type { Principal } from '../api/types.js';

// sessionStorage: the key lives as long as the browser tab, never on disk across sessions.
const KEY_STORAGE = 'platform-logs.api-key';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY_STORAGE);
}

export interface Session {
  api: ApiClient;
  principal: Principal;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in session');
  return session;
}
