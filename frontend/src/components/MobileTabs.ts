import { h } from '../lib/dom';

type Tab = 'agents' | 'events' | 'chat';

const tabs: Array<{ id: Tab; label: string }> = [
  { id: 'agents', label: 'Agents' },
  { id: 'events', label: 'Events' },
  { id: 'chat', label: 'Chat' },
];

/**
 * On narrow screens the three columns become tabs (CSS shows the column named
 * by the layout's data-tab). A WAI-ARIA tab list: arrows move between tabs.
 */
export class MobileTabs {
  private readonly buttons = new Map<Tab, HTMLButtonElement>();

  constructor(root: HTMLElement, private readonly layout: HTMLElement, columns: Record<Tab, HTMLElement>) {
    const list = h('div', { class: 'tab-list', role: 'tablist', 'aria-label': 'Columns' });
    for (const tab of tabs) {
      const button = h('button', { type: 'button', role: 'tab', id: `tab-${tab.id}`, 'aria-controls': columns[tab.id].id, class: 'tab' }, tab.label);
      button.addEventListener('click', () => this.select(tab.id, false));
      button.addEventListener('keydown', (event) => this.keyed(event, tab.id));
      this.buttons.set(tab.id, button);
      list.append(button);
    }
    root.append(list);
    this.select('chat', false);
  }

  select(tab: Tab, focus: boolean): void {
    this.layout.dataset['tab'] = tab;
    for (const [id, button] of this.buttons) {
      const selected = id === tab;
      button.setAttribute('aria-selected', String(selected));
      button.tabIndex = selected ? 0 : -1;
    }
    if (focus) this.buttons.get(tab)?.focus();
  }

  private keyed(event: KeyboardEvent, current: Tab): void {
    const index = tabs.findIndex((tab) => tab.id === current);
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0) return;
    event.preventDefault();
    const next = tabs[(index + step + tabs.length) % tabs.length];
    if (next) this.select(next.id, true);
  }
}
