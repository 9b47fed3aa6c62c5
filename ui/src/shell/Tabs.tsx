import type { KeyboardEvent } from 'react';
import type { View } from './url-state.js';

const TABS: { view: View; label: string }[] = [
  { view: 'live', label: 'Live' },
  { view: 'query', label: 'Query' },
  { view: 'errors', label: 'Errors' },
  { view: 'alerts', label: 'Alerts' },
];

/** The views; arrow keys move between tabs as in any tab list. */
export function Tabs({ view, onChange }: { view: View; onChange: (view: View) => void }) {
  function onKeyDown(event: KeyboardEvent) {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    const index = (TABS.findIndex((t) => t.view === view) + step + TABS.length) % TABS.length;
    onChange(TABS[index].view);
    document.getElementById(`tab-${TABS[index].view}`)?.focus();
  }
  return (
    <nav role="tablist" aria-label="Views" onKeyDown={onKeyDown}>
      {TABS.map((tab) => (
        <button
          key={tab.view}
          id={`tab-${tab.view}`}
          role="tab"
          type="button"
          aria-selected={tab.view === view}
          aria-controls="view-panel"
          tabIndex={tab.view === view ? 0 : -1}
          onClick={() => onChange(tab.view)}
          data-testid={`tab-${tab.view}`}
        >
          {tab.label}
        </button>
      ))}
    </nav>
  );
}
