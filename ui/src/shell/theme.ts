import { useEffect, useState } from 'react';

export type Theme = 'light' | 'dark';
const THEME_STORAGE = 'platform-logs.theme';

function systemTheme(): Theme {
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** The colour theme: the system's until the user picks one, which is then remembered. */
export function useTheme() {
  const [chosen, setChosen] = useState<Theme | null>(() => localStorage.getItem(THEME_STORAGE) as Theme | null);
  const [system, setSystem] = useState<Theme>(systemTheme);

  useEffect(() => {
    const query = window.matchMedia('(prefers-color-scheme: dark)');
    const onChange = () => setSystem(systemTheme());
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);

  const theme = chosen ?? system;
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  function toggle() {
    const next: Theme = theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem(THEME_STORAGE, next);
    setChosen(next);
  }

  return { theme, toggle };
}
