import { h } from '../lib/dom';
import type { OrchestratorStore } from '../stores/orchestratorStore';

/**
 * Tells screen readers about finished replies and failures — once each, not
 * token by token (the conversation log itself is aria-live="off", or every
 * chunk would be read out).
 */
export class LiveAnnouncer {
  /** The team's own polite region, so a reply's announcement and an agent's do not overwrite each other. */
  private readonly team: HTMLElement;
  private readonly urgent: HTMLElement;

  constructor(root: HTMLElement, store: OrchestratorStore) {
    const polite = h('div', { class: 'visually-hidden', 'aria-live': 'polite', 'aria-atomic': 'true', 'data-testid': 'announcer' });
    const urgent = h('div', { class: 'visually-hidden', 'aria-live': 'assertive', 'aria-atomic': 'true', 'data-testid': 'announcer-urgent' });
    this.team = h('div', { class: 'visually-hidden', 'aria-live': 'polite', 'aria-atomic': 'true', 'data-testid': 'announcer-team' });
    this.urgent = urgent;
    root.append(polite, urgent, this.team);
    store.store.subscribe((state, previous) => {
      const announcement = state.announcement;
      if (!announcement || (previous !== null && announcement === previous.announcement)) return;
      if (previous === null) return; // nothing is new when the page opens
      (announcement.urgent ? urgent : polite).textContent = announcement.text;
    });
  }

  /** Says something that is not in the store's announcement (the team's changes, stores/teamAttention.ts). */
  say(text: string, urgent = false): void {
    (urgent ? this.urgent : this.team).textContent = text;
  }
}
