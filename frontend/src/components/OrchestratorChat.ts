import { renderWindow } from '../config';
import { h, setText } from '../lib/dom';
import { compactNumber, dollars } from '../lib/format';
import { KeyedList } from '../lib/keyedList';
import { copyCodeBlock } from '../lib/markdown';
import { hasStreamingDraft, itemsInOrder } from '../stores/chatTimeline';
import type { OrchestratorState } from '../stores/orchestratorState';
import type { OrchestratorStore } from '../stores/orchestratorStore';
import type { ChatItem } from '../types';
import { createBubble, updateBubble } from './ChatBubble';
import { ChatInput } from './ChatInput';

/** How close to the bottom (px) still counts as "at the latest message". */
const pinSlack = 48;

/**
 * The right column: the conversation and its input. Follows the newest
 * message unless the reader scrolled up (then offers "Jump to latest"), and
 * renders only the newest `renderWindow` bubbles until the reader scrolls up
 * for more, so a long history opens fast.
 */
export class OrchestratorChat {
  private readonly scroller: HTMLElement;
  private readonly list: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly older: HTMLElement;
  private readonly olderButton: HTMLButtonElement;
  private readonly typing: HTMLElement;
  private readonly jump: HTMLButtonElement;
  private readonly totals: HTMLElement;
  private readonly bubbles: KeyedList<ChatItem>;
  readonly input: ChatInput;
  private visibleCount = renderWindow;
  private pinned = true;
  private unseen = 0;
  private state: OrchestratorState | null = null;

  constructor(root: HTMLElement, private readonly store: OrchestratorStore) {
    this.totals = h('span', { class: 'chat-totals' });
    this.olderButton = h('button', { type: 'button', class: 'button', 'data-action': 'load-older' }, 'Load older messages');
    this.older = h('div', { class: 'chat-older', hidden: true }, this.olderButton);
    this.empty = h(
      'div',
      { class: 'empty-state chat-empty', hidden: true },
      h('p', { class: 'empty-title' }, 'Start a conversation'),
      h('p', {}, 'Ask the orchestrator to plan, build or check something. Press Ctrl+K (⌘K) to jump here from anywhere.'),
    );
    this.list = h('div', { class: 'chat-list' });
    this.typing = h(
      'div',
      { class: 'typing', hidden: true, 'aria-hidden': 'true' },
      h('span', { class: 'bubble-author' }, 'Orchestrator'),
      h('span', { class: 'typing-dots' }, h('span', {}), h('span', {}), h('span', {})),
      h('span', { class: 'typing-label' }, 'working…'),
    );
    this.scroller = h(
      'div',
      { class: 'chat-scroll', tabindex: '0', role: 'log', 'aria-label': 'Conversation', 'aria-live': 'off' },
      this.older,
      this.empty,
      this.list,
      this.typing,
    );
    this.jump = h('button', { type: 'button', class: 'button jump-latest', hidden: true }, 'Jump to latest ↓');
    this.input = new ChatInput(store);
    root.append(
      h('div', { class: 'column-header' }, h('h2', { id: 'chat-title' }, 'Orchestrator'), this.totals),
      h('div', { class: 'chat-body' }, this.scroller, this.jump),
      this.input.element,
    );
    root.setAttribute('aria-labelledby', 'chat-title');
    this.bubbles = new KeyedList<ChatItem>(this.list, {
      key: (item) => item.key,
      create: createBubble,
      update: updateBubble,
    });

    this.scroller.addEventListener('scroll', () => this.scrolled(), { passive: true });
    // Following the newest message happens after layout, whenever the content grows (a chunk,
    // a rebuilt bubble, the typing line): no layout is forced while rendering, and growth that
    // appears only at layout (an off-screen bubble measured late) is followed too.
    const follow = new ResizeObserver(() => {
      if (this.pinned) this.scrollToBottom();
    });
    follow.observe(this.list);
    follow.observe(this.typing);
    this.scroller.addEventListener('click', (event) => this.clicked(event));
    this.jump.addEventListener('click', () => this.jumpToLatest());
    store.store.subscribe((state, previous) => this.render(state, previous));
  }

  private render(state: OrchestratorState, previous: OrchestratorState | null): void {
    this.state = state;
    if (previous === null || state.orchestrator !== previous.orchestrator) this.renderTotals(state);
    if (previous !== null && state.chat === previous.chat && state.history === previous.history) {
      this.input.render(state, previous);
      return;
    }
    const wasPinned = this.pinned; // the ResizeObserver follows when pinned
    const items = itemsInOrder(state.chat);
    const start = Math.max(0, items.length - this.visibleCount);
    const added = this.bubbles.render(items.slice(start));
    this.empty.hidden = !(state.history.loaded && items.length === 0);
    this.older.hidden = !(start === 0 && state.history.hasMore);
    this.olderButton.disabled = state.history.loadingOlder;
    setText(this.olderButton, state.history.loadingOlder ? 'Loading older messages…' : 'Load older messages');
    this.typing.hidden = !state.chat.typing || hasStreamingDraft(state.chat);
    this.input.render(state, previous);
    if (!wasPinned && (added.length > 0 || (previous && state.chat.items !== previous.chat.items))) {
      this.unseen += Math.max(added.length, 0);
      this.showJump();
    }
  }

  private renderTotals(state: OrchestratorState): void {
    const o = state.orchestrator;
    if (!o) return setText(this.totals, '');
    const tokens = o.input_tokens + o.output_tokens;
    setText(this.totals, `Cost ${dollars(o.total_cost)} · Tokens ${compactNumber(tokens)}`);
    this.totals.title = `${compactNumber(o.input_tokens)} input + ${compactNumber(o.output_tokens)} output tokens over the whole conversation`;
  }

  private scrolled(): void {
    const distance = this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight;
    this.pinned = distance <= pinSlack;
    if (this.pinned) {
      this.unseen = 0;
      this.jump.hidden = true;
    }
    if (this.scroller.scrollTop < 200) this.revealOlder();
  }

  /** Renders more of the already loaded history above, keeping what the reader sees in place. */
  private revealOlder(): void {
    const state = this.state;
    if (!state) return;
    const total = state.chat.order.length;
    if (this.visibleCount >= total) return;
    const before = this.scroller.scrollHeight;
    this.visibleCount += renderWindow;
    const items = itemsInOrder(state.chat);
    this.bubbles.render(items.slice(Math.max(0, items.length - this.visibleCount)));
    this.older.hidden = !(this.visibleCount >= total && state.history.hasMore);
    this.scroller.scrollTop += this.scroller.scrollHeight - before;
  }

  private showJump(): void {
    this.jump.hidden = false;
    setText(this.jump, this.unseen > 0 ? `Jump to latest (${this.unseen} new) ↓` : 'Jump to latest ↓');
  }

  private scrollToBottom(): void {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.pinned = true;
  }

  jumpToLatest(): void {
    this.scrollToBottom();
    this.unseen = 0;
    this.jump.hidden = true;
  }

  private clicked(event: Event): void {
    const target = (event.target as Element | null)?.closest<HTMLElement>('[data-action]');
    if (!target) return;
    const key = target.dataset['key'] ?? '';
    switch (target.dataset['action']) {
      case 'copy-code':
        void copyCodeBlock(target).then((ok) => {
          setText(target, ok ? 'Copied' : 'Copy failed');
          window.setTimeout(() => setText(target, 'Copy'), 1500);
        });
        return;
      case 'retry-send':
        return this.store.retry(key);
      case 'retry-notice':
        return this.store.resend(key);
      case 'dismiss':
        return this.store.dismiss(key);
      case 'load-older':
        void this.store.loadOlder();
        return;
      default:
        return;
    }
  }
}
