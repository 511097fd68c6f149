import { h } from '../lib/dom';
import { clockTime, fullTime } from '../lib/format';
import { renderMarkdown } from '../lib/markdown';
import type { ChatItem, MessageItem, NoticeItem, ThinkingItem, ToolItem } from '../types';

/**
 * One chat item as an element. Messages from the orchestrator are markdown
 * (sanitized); the user's own words are shown as typed. Thinking and tool
 * calls are collapsible (<details>: keyboard and screen reader friendly
 * without script).
 */
export function createBubble(item: ChatItem): HTMLElement {
  switch (item.kind) {
    case 'message':
      return messageBubble(item);
    case 'thinking':
      return thinkingBubble(item);
    case 'tool':
      return toolBubble(item);
    case 'notice':
      return noticeBubble(item);
  }
}

/**
 * Updates a reply in place while it streams and when it turns final (its
 * rendered blocks are reused, so a long reply is not parsed and laid out again
 * in one frame); rebuilds anything else.
 */
export function updateBubble(element: HTMLElement, item: ChatItem, previous: ChatItem): HTMLElement | void {
  if (item.kind === 'message' && previous.kind === 'message' && previous.state === 'streaming' && item.role !== 'user'
      && (item.state === 'streaming' || item.state === 'final')) {
    const body = element.querySelector<HTMLElement>('.bubble-body');
    if (body) {
      renderMarkdown(body, item.text, item.state === 'final');
      if (item.state === 'final') settleReply(element, item);
      return;
    }
  }
  const next = createBubble(item);
  // A rebuilt collapsible keeps the reader's choice to have it open.
  if (element instanceof HTMLDetailsElement && next instanceof HTMLDetailsElement) next.open = element.open;
  return next;
}

const authors: Record<MessageItem['role'], string> = { user: 'You', orchestrator: 'Orchestrator', agent: 'Agent' };

function meta(author: string, createdAt: string, ...badges: Array<HTMLElement | null>): HTMLElement {
  return h(
    'header',
    { class: 'bubble-meta' },
    h('span', { class: 'bubble-author' }, author),
    createdAt ? h('time', { datetime: createdAt, title: fullTime(createdAt) }, clockTime(createdAt)) : null,
    ...badges,
  );
}

function badge(text: string, tone: 'info' | 'warn' | 'error'): HTMLElement {
  return h('span', { class: `badge badge--${tone}` }, text);
}

function messageBadges(item: MessageItem): Array<HTMLElement | null> {
  return [
    item.state === 'sending' ? badge('Sending…', 'info') : null,
    item.queued ? badge('Queued', 'info') : null,
    item.partial ? badge('Incomplete', 'warn') : null,
  ];
}

function messageAttributes(item: MessageItem): { className: string; state: string } {
  const classes = ['bubble', `bubble--${item.role}`];
  // A command to an agent and an agent's result are compact and marked as such, apart from the conversation.
  if (item.agentExchange) classes.push('bubble--agent-exchange', `bubble--agent-${item.agentExchange}`);
  if (item.state === 'streaming') classes.push('is-streaming');
  if (item.state === 'failed') classes.push('is-failed');
  return { className: classes.join(' '), state: item.state };
}

/** A streamed reply became its final row: the same element, now final. */
function settleReply(element: HTMLElement, item: MessageItem): void {
  const { className, state } = messageAttributes(item);
  element.className = className;
  element.dataset['state'] = state;
  element.dataset['rowId'] = item.id ?? '';
  element.removeAttribute('aria-busy');
  element.querySelector('.bubble-meta')?.replaceWith(meta(item.author ?? authors[item.role], item.createdAt, ...messageBadges(item)));
}

function messageBubble(item: MessageItem): HTMLElement {
  const body = h('div', { class: item.role === 'user' ? 'bubble-body plain' : 'bubble-body markdown' });
  if (item.role === 'user') body.textContent = item.text;
  else renderMarkdown(body, item.text, item.state === 'final');
  const { className, state } = messageAttributes(item);
  const article = h(
    'article',
    {
      class: className,
      'data-role': item.role,
      'data-row-id': item.id,
      'data-state': state,
      'data-agent-exchange': item.agentExchange,
      'aria-busy': item.state === 'streaming' ? 'true' : null,
    },
    meta(item.author ?? authors[item.role], item.createdAt, ...messageBadges(item)),
    body,
  );
  if (item.state === 'failed') {
    article.append(
      h(
        'div',
        { class: 'bubble-error', role: 'alert' },
        h('p', {}, `Not sent. ${item.error ?? ''}`),
        h('div', { class: 'bubble-actions' },
          h('button', { type: 'button', class: 'button button--primary', 'data-action': 'retry-send', 'data-key': item.key }, 'Retry'),
          h('button', { type: 'button', class: 'button', 'data-action': 'dismiss', 'data-key': item.key }, 'Discard')),
      ),
    );
  }
  return article;
}

function preview(text: string, length: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length)}…` : flat;
}

function thinkingBubble(item: ThinkingItem): HTMLElement {
  const body = h('div', { class: 'bubble-body markdown' });
  renderMarkdown(body, item.text, true);
  return h(
    'details',
    { class: 'bubble bubble--thinking' },
    h('summary', {}, h('span', { class: 'bubble-author' }, 'Thinking'), h('span', { class: 'summary-preview' }, preview(item.text, 90)),
      item.createdAt ? h('time', { datetime: item.createdAt }, clockTime(item.createdAt)) : null),
    body,
  );
}

/** Tool names from the orchestrator's own MCP server read better without the prefix. */
function toolLabel(name: string): string {
  return name.replace(/^mcp__[^_]+__/, '');
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2) ?? '';
  } catch {
    return String(value);
  }
}

function toolBubble(item: ToolItem): HTMLElement {
  const input = asText(item.toolInput ?? {});
  const children: HTMLElement[] = [h('h4', {}, 'Input'), h('pre', { class: 'tool-json' }, h('code', {}, input))];
  if (item.result) {
    children.push(
      h('h4', {}, item.result.isError ? 'Result (error)' : 'Result'),
      h('pre', { class: item.result.isError ? 'tool-json is-error' : 'tool-json' }, h('code', {}, asText(item.result.content))),
    );
  }
  const status = item.result ? (item.result.isError ? badge('Failed', 'error') : badge('Done', 'info')) : badge('Running', 'info');
  return h(
    'details',
    { class: 'bubble bubble--tool' },
    h('summary', {}, h('span', { class: 'bubble-author' }, `Tool · ${toolLabel(item.toolName)}`), h('span', { class: 'summary-preview' }, preview(input, 70)), status),
    ...children,
  );
}

function noticeBubble(item: NoticeItem): HTMLElement {
  const actions = h('div', { class: 'bubble-actions' });
  if (item.retryText !== null) {
    actions.append(h('button', { type: 'button', class: 'button button--primary', 'data-action': 'retry-notice', 'data-key': item.key }, 'Retry'));
  }
  actions.append(h('button', { type: 'button', class: 'button', 'data-action': 'dismiss', 'data-key': item.key }, 'Dismiss'));
  return h(
    'aside',
    { class: `bubble notice notice--${item.level}`, 'data-error-class': item.title },
    meta(item.title, item.createdAt),
    h('p', { class: 'bubble-body' }, item.message),
    actions,
  );
}
