import { h } from '../lib/dom';
import type { OrchestratorStore } from '../stores/orchestratorStore';

/**
 * Tells screen readers about finished replies and failures — once each, not
 * token by token (the conversation log itself is aria-live="off", or every
 * chunk would be read out).
 */
export class LiveAnnouncer {
  private readonly polite: HTMLElement;
  private readonly urgent: HTMLElement;

  constructor(root: HTMLElement, store: OrchestratorStore) {
    const polite = h('div', { class: 'visually-hidden', 'aria-live': 'polite', 'aria-atomic': 'true', 'data-testid': 'announcer' });
    const urgent = h('div', { class: 'visually-hidden', 'aria-live': 'assertive', 'aria-atomic': 'true', 'data-testid': 'announcer-urgent' });
    this.polite = polite;
    this.urgent = urgent;
    root.append(polite, urgent);
    store.store.subscribe((state, previous) => {
      const announcement = state.announcement;
      if (!announcement || (previous !== null && announcement === previous.announcement)) return;
      if (previous === null) return; // nothing is new when the page opens
      (announcement.urgent ? urgent : polite).textContent = announcement.text;
    });
  }

  /** Says something that is not in the store's announcement (the team's changes, stores/teamAttention.ts). */
  say(text: string, urgent = false): void {
    (urgent ? this.urgent : this.polite).textContent = text;
  }
}
