import { h, setText } from '../lib/dom';
import { clockTime, compactNumber } from '../lib/format';
import { KeyedList } from '../lib/keyedList';
import type { EventCategory, EventEntry } from '../stores/eventLog';
import type { OrchestratorState } from '../stores/orchestratorState';
import type { OrchestratorStore } from '../stores/orchestratorStore';

const categories: Array<{ id: EventCategory; label: string }> = [
  { id: 'chat', label: 'Chat' },
  { id: 'stream', label: 'Stream' },
  { id: 'thinking', label: 'Thinking' },
  { id: 'tool', label: 'Tools' },
  { id: 'turn', label: 'Turns' },
  { id: 'error', label: 'Errors' },
  { id: 'connection', label: 'Connection' },
];

/** Lines shown at most; older ones stay in the store (up to its cap) and reappear when a filter narrows the list. */
const shownLines = 300;
/**
 * The log redraws at most this often. It is read, not watched token by token,
 * and during a flood redrawing it every frame cost more than the chat itself.
 */
const redrawIntervalMs = 250;

/**
 * The middle column: the host's events as they arrive, filterable by kind and
 * text, following the newest unless switched off. Filters are view state:
 * they change what is shown, never what is kept.
 */
export class EventStream {
  private readonly list: HTMLOListElement;
  private readonly empty: HTMLElement;
  private readonly count: HTMLElement;
  private readonly search: HTMLInputElement;
  private readonly follow: HTMLInputElement;
  private readonly scroller: HTMLElement;
  private readonly lines: KeyedList<EventEntry>;
  private readonly hidden = new Set<EventCategory>();
  private state: OrchestratorState | null = null;
  private redrawTimer: number | null = null;
  private lastDrawn = 0;

  constructor(root: HTMLElement, store: OrchestratorStore) {
    this.count = h('span', { class: 'column-count' });
    this.search = h('input', { type: 'search', class: 'event-search', placeholder: 'Filter events', 'aria-label': 'Filter events by text' });
    this.follow = h('input', { type: 'checkbox', checked: true });
    const chips = h('div', { class: 'chips', role: 'group', 'aria-label': 'Event kinds' });
    for (const category of categories) {
      const chip = h('button', { type: 'button', class: `chip chip--${category.id}`, 'aria-pressed': 'true' }, category.label);
      chip.addEventListener('click', () => {
        if (this.hidden.has(category.id)) this.hidden.delete(category.id);
        else this.hidden.add(category.id);
        chip.setAttribute('aria-pressed', String(!this.hidden.has(category.id)));
        this.refresh();
      });
      chips.append(chip);
    }
    this.list = h('ol', { class: 'event-list' });
    this.empty = h('div', { class: 'empty-state' }, h('p', { class: 'empty-title' }, 'No events yet'), h('p', {}, 'Events the host publishes — messages, replies, thinking, tool calls, usage — appear here as they happen.'));
    this.scroller = h('div', { class: 'column-scroll', tabindex: '0', 'aria-label': 'Event stream' }, this.empty, this.list);
    root.append(
      h('div', { class: 'column-header' }, h('h2', { id: 'events-title' }, 'Event stream'), this.count),
      h('div', { class: 'event-controls' }, this.search, h('label', { class: 'follow' }, this.follow, ' Follow'), chips),
      this.scroller,
    );
    root.setAttribute('aria-labelledby', 'events-title');
    this.lines = new KeyedList<EventEntry>(this.list, { key: (entry) => entry.key, create: eventLine, update: (_element, entry) => eventLine(entry) });
    this.search.addEventListener('input', () => this.refresh());
    store.store.subscribe((state, previous) => {
      this.state = state;
      if (previous === null) this.refresh();
      else if (state.events !== previous.events) this.scheduleRefresh();
    });
  }

  private scheduleRefresh(): void {
    if (this.redrawTimer !== null) return;
    const wait = Math.max(0, this.lastDrawn + redrawIntervalMs - performance.now());
    this.redrawTimer = window.setTimeout(() => {
      this.redrawTimer = null;
      this.refresh();
    }, wait);
  }

  private refresh(): void {
    const state = this.state;
    if (!state) return;
    this.lastDrawn = performance.now();
    const query = this.search.value.trim().toLowerCase();
    const visible = state.events.entries.filter(
      (entry) => !this.hidden.has(entry.category) && (query === '' || entry.summary.toLowerCase().includes(query) || entry.type.includes(query)),
    );
    const shown = visible.slice(Math.max(0, visible.length - shownLines));
    this.lines.render(shown);
    this.empty.hidden = state.events.entries.length > 0;
    if (state.events.entries.length > 0 && shown.length === 0) {
      this.empty.hidden = false;
      setText(this.empty.firstChild as HTMLElement, 'No events match the filter');
    } else if (state.events.entries.length > 0) {
      setText(this.empty.firstChild as HTMLElement, 'No events yet');
    }
    setText(this.count, `${compactNumber(state.events.total)} events`);
    if (this.follow.checked) this.scroller.scrollTop = this.scroller.scrollHeight;
  }
}

function eventLine(entry: EventEntry): HTMLElement {
  return h(
    'li',
    { class: `event event--${entry.category}` },
    h('span', { class: 'event-seq' }, entry.seq === null ? '·' : `#${entry.seq}`),
    h('span', { class: `event-kind` }, entry.category),
    h('span', { class: 'event-summary' }, entry.summary),
    h('time', { datetime: entry.time }, clockTime(entry.time)),
  );
}
