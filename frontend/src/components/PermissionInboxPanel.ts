import { h, setAttribute, setText } from '../lib/dom';
import { clockTime, fullTime } from '../lib/format';
import { KeyedList } from '../lib/keyedList';
import type { OrchestratorState } from '../stores/orchestratorState';
import type { OrchestratorStore } from '../stores/orchestratorStore';
import { askerName, describeResolution, editDiff, pendingRequests, readableInput } from '../stores/permissions';
import { agentHue } from '../stores/team';
import type { PermissionAnswer, PermissionRequest } from '../types';

interface CardModel {
  request: PermissionRequest;
  asker: string;
  selected: boolean;
  answering: boolean;
  error: string | null;
}

/**
 * The permission inbox: every tool call the orchestrator or an agent waits to
 * be allowed, oldest first, with the input made readable (the Bash command,
 * the Edit's diff). Each card answers on its own (buttons, or A / D while the
 * card has focus); ticked cards are answered together in one request. It opens
 * by itself when the first request arrives and from the header's Inbox button.
 */
export class PermissionInboxPanel {
  /** The header's button: the count of waiting requests, opens and closes the panel. */
  readonly button: HTMLButtonElement;
  private readonly root: HTMLElement;
  private readonly count: HTMLElement;
  private readonly title: HTMLElement;
  private readonly selectAll: HTMLInputElement;
  private readonly batch: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly recent: HTMLElement;
  private readonly cards: KeyedList<CardModel>;

  constructor(host: HTMLElement, private readonly store: OrchestratorStore) {
    this.count = h('span', { class: 'inbox-count', 'data-testid': 'inbox-count' }, '0');
    this.button = h('button', {
      type: 'button', class: 'button button--small inbox-button', 'data-testid': 'inbox-button',
      'aria-controls': 'permission-inbox', 'aria-expanded': 'false',
    }, 'Inbox ', this.count);
    this.button.addEventListener('click', () => this.setOpen(this.root.hidden));

    this.title = h('h2', { class: 'inbox-title', id: 'permission-inbox-title' }, 'Permission inbox');
    this.selectAll = h('input', { type: 'checkbox', 'data-testid': 'inbox-select-all', 'aria-label': 'Select every request' });
    this.selectAll.addEventListener('change', () => store.selectAllPermissions(this.selectAll.checked));
    const batchMessage = h('input', { type: 'text', class: 'inbox-message', placeholder: 'Message for a denial (optional)', 'aria-label': 'Message to the model when denying the selected requests', 'data-testid': 'inbox-batch-message' });
    const allowSelected = h('button', { type: 'button', class: 'button button--small', 'data-action': 'allow-selected' }, 'Allow selected');
    const denySelected = h('button', { type: 'button', class: 'button button--small button--danger', 'data-action': 'deny-selected' }, 'Deny selected');
    allowSelected.addEventListener('click', () => void store.answerSelectedPermissions({ decision: 'allow' }));
    denySelected.addEventListener('click', () => void store.answerSelectedPermissions(withMessage({ decision: 'deny' }, batchMessage.value)));
    this.batch = h('div', { class: 'inbox-batch' }, h('label', { class: 'inbox-select-all' }, this.selectAll, ' All'), batchMessage, allowSelected, denySelected);
    const close = h('button', { type: 'button', class: 'button button--small', 'aria-label': 'Close the permission inbox' }, 'Close');
    close.addEventListener('click', () => {
      this.setOpen(false);
      this.button.focus();
    });
    this.empty = h('p', { class: 'inbox-empty' },
      'Nothing waits for you. When the orchestrator or an agent wants a tool that no rule allows, it asks here and waits for your answer.');
    const list = h('div', { class: 'inbox-list', role: 'list' });
    this.recent = h('ul', { class: 'inbox-recent', 'aria-label': 'Recently answered' });
    this.root = h('section', { id: 'permission-inbox', class: 'inbox', 'aria-labelledby': 'permission-inbox-title', 'data-testid': 'inbox', hidden: true },
      h('header', { class: 'inbox-header' }, this.title, close),
      h('p', { class: 'inbox-hint' }, 'A allows, D denies the focused request; tick several to answer them together.'),
      this.batch, this.empty, list, this.recent);
    host.after(this.root);
    this.cards = new KeyedList(list, {
      key: (model) => model.request.id,
      create: (model) => this.createCard(model),
      update: (element, model) => this.updateCard(element, model),
    });
    store.store.subscribe((state, previous) => this.render(state, previous));
  }

  setOpen(open: boolean): void {
    this.root.hidden = !open;
    setAttribute(this.button, 'aria-expanded', String(open));
  }

  private render(state: OrchestratorState, previous: OrchestratorState | null): void {
    if (previous !== null && state.permissions === previous.permissions && state.team === previous.team) return;
    const inbox = state.permissions;
    const requests = pendingRequests(inbox);
    const before = previous?.permissions.pending.size ?? 0;
    // The first request to arrive opens the inbox (without taking the focus from what the person types).
    if (previous !== null && previous.permissions.loaded && before === 0 && requests.length > 0) this.setOpen(true);
    setText(this.count, String(requests.length));
    this.button.classList.toggle('pill--attention', requests.length > 0);
    this.button.title = requests.length === 1 ? '1 request waits for your permission' : `${requests.length} requests wait for your permission`;
    setText(this.title, requests.length > 0 ? `Permission inbox · ${requests.length} waiting` : 'Permission inbox');
    this.empty.hidden = requests.length > 0;
    this.batch.hidden = requests.length < 2;
    this.selectAll.checked = requests.length > 0 && inbox.selected.size === requests.length;
    this.selectAll.indeterminate = inbox.selected.size > 0 && inbox.selected.size < requests.length;
    this.cards.render(requests.map((request) => ({
      request,
      asker: askerName(request, state.team.members),
      selected: inbox.selected.has(request.id),
      answering: inbox.answering.has(request.id),
      error: inbox.errors.get(request.id) ?? null,
    })));
    this.recent.replaceChildren(...inbox.recent.slice(0, 5).map((request) =>
      h('li', { 'data-testid': 'inbox-resolved', 'data-request-id': request.id, 'data-status': request.status },
        `${request.tool_name} for ${askerName(request, state.team.members)}: ${describeResolution(request)}`)));
  }

  private createCard(model: CardModel): HTMLElement {
    const { request } = model;
    const select = h('input', { type: 'checkbox', 'data-field': 'select', 'aria-label': `Select ${request.tool_name} for ${model.asker}` });
    select.addEventListener('change', () => this.store.selectPermission(request.id, select.checked));
    const message = h('input', { type: 'text', class: 'inbox-message', 'data-field': 'message', placeholder: 'Message for a denial (optional)', 'aria-label': 'Message to the model if you deny' });
    // A Bash command may be corrected before it is allowed (the answer's updated_input).
    const command = typeof request.input['command'] === 'string' && request.tool_name === 'Bash' ? request.input['command'] : null;
    const editor = h('textarea', { class: 'inbox-editor', 'data-field': 'editor', rows: 3, hidden: true, 'aria-label': 'The command to run instead' });
    const allowAnswer = (scope: 'once' | 'agent' | 'template'): PermissionAnswer => {
      if (command === null || editor.hidden || editor.value === command) return { decision: 'allow', scope };
      return { decision: 'allow', scope, updated_input: { ...request.input, command: editor.value } };
    };
    const answer = (value: PermissionAnswer): void => void this.store.answerPermission(request.id, value);
    const button = (label: string, action: string, value: () => PermissionAnswer, danger = false): HTMLButtonElement => {
      const element = h('button', { type: 'button', class: `button button--small${danger ? ' button--danger' : ''}`, 'data-action': action }, label);
      element.addEventListener('click', () => answer(value()));
      return element;
    };
    const actions = h('div', { class: 'inbox-actions' },
      button('Allow', 'allow', () => allowAnswer('once')),
      button('Deny', 'deny', () => withMessage({ decision: 'deny' }, message.value), true),
      message);
    if (command !== null) {
      const change = h('button', { type: 'button', class: 'button button--small', 'data-action': 'edit', 'aria-expanded': 'false' }, 'Edit command…');
      change.addEventListener('click', () => {
        editor.hidden = !editor.hidden;
        if (!editor.hidden && editor.value === '') editor.value = command;
        setAttribute(change, 'aria-expanded', String(!editor.hidden));
        if (!editor.hidden) editor.focus();
      });
      actions.append(change);
    }
    // Grants for an agent or its template only mean something for agents; the orchestrator's answers are once.
    if (request.agent_id !== null) {
      actions.append(
        button('Allow for this agent', 'allow-agent', () => allowAnswer('agent')),
        button('Allow for its template', 'allow-template', () => allowAnswer('template')));
    }
    const card = h('article', { class: 'inbox-card', role: 'listitem', tabindex: '0', 'data-testid': 'permission-card', 'data-request-id': request.id },
      h('header', {},
        select,
        h('span', { class: 'inbox-asker', 'data-field': 'asker' }),
        h('span', { class: 'badge', 'data-field': 'tool' }, request.tool_name),
        h('time', { class: 'inbox-time', dateTime: request.created_at, title: fullTime(request.created_at) }, clockTime(request.created_at))),
      renderInput(request),
      editor,
      request.expires_at ? h('p', { class: 'inbox-expiry' }, `Denied automatically at ${clockTime(request.expires_at)} if unanswered.`) : null,
      actions,
      h('p', { class: 'inbox-error', role: 'alert', 'data-field': 'error', hidden: true }));
    // A and D answer the card with focus; not while the person types a message.
    card.addEventListener('keydown', (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.target instanceof HTMLTextAreaElement || event.target instanceof HTMLInputElement && event.target.type === 'text') return;
      const key = event.key.toLowerCase();
      if (key !== 'a' && key !== 'd') return;
      event.preventDefault();
      answer(key === 'a' ? allowAnswer('once') : withMessage({ decision: 'deny' }, message.value));
    });
    this.updateCard(card, model);
    return card;
  }

  private updateCard(card: HTMLElement, model: CardModel): void {
    const field = <T extends HTMLElement>(name: string): T => card.querySelector(`[data-field="${name}"]`) as T;
    const asker = field('asker');
    setText(asker, model.asker);
    card.style.setProperty('--agent-hue', String(agentHue(model.asker)));
    setAttribute(card, 'aria-label', `${model.asker} asks to use ${model.request.tool_name}`);
    setAttribute(card, 'aria-busy', model.answering ? 'true' : null);
    field<HTMLInputElement>('select').checked = model.selected;
    for (const button of card.querySelectorAll<HTMLButtonElement>('.inbox-actions button')) button.disabled = model.answering;
    const error = field('error');
    error.hidden = model.error === null;
    setText(error, model.error ?? '');
  }
}

function withMessage(answer: PermissionAnswer, message: string): PermissionAnswer {
  const text = message.trim();
  return text.length > 0 ? { ...answer, message: text } : answer;
}

/** The tool's input as a person reads it: a command, a diff, a file's new content, or the JSON. */
function renderInput(request: PermissionRequest): HTMLElement {
  const input = readableInput(request.tool_name, request.input);
  switch (input.kind) {
    case 'command':
      return h('div', { class: 'inbox-input', 'data-field': 'input' },
        input.description ? h('p', { class: 'inbox-description' }, input.description) : null,
        h('pre', { class: 'inbox-command' }, h('code', {}, `$ ${input.command}`)));
    case 'edit':
      return h('div', { class: 'inbox-input', 'data-field': 'input' },
        h('p', { class: 'inbox-path' }, input.path),
        h('pre', { class: 'inbox-diff' }, ...editDiff(input.removed, input.added).map((line) =>
          h('span', { class: `diff-line diff-line--${line.sign === '+' ? 'added' : line.sign === '-' ? 'removed' : 'same'}` }, `${line.sign} ${line.text}\n`))));
    case 'write':
      return h('div', { class: 'inbox-input', 'data-field': 'input' },
        h('p', { class: 'inbox-path' }, `${input.path} (new content)`),
        h('pre', { class: 'inbox-diff' }, ...input.content.split('\n').map((line) => h('span', { class: 'diff-line diff-line--added' }, `+ ${line}\n`))));
    case 'path':
      return h('div', { class: 'inbox-input', 'data-field': 'input' }, h('p', { class: 'inbox-path' }, input.path));
    case 'json':
      return h('div', { class: 'inbox-input', 'data-field': 'input' }, h('pre', { class: 'inbox-json' }, input.text));
  }
}
