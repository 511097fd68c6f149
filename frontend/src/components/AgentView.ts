import { h, setAttribute, setText } from '../lib/dom';
import { clockTime, compactNumber, dollars, fullTime } from '../lib/format';
import { KeyedList } from '../lib/keyedList';
import { agentTimeline, filesTouched, type TimelineEntry } from '../stores/agentView';
import type { OrchestratorState } from '../stores/orchestratorState';
import type { ChatItem } from '../types';
import type { OrchestratorStore } from '../stores/orchestratorStore';
import { agentHue, budgetUse, countersLine, exactDollars, stateLabel, stateTone, type TeamMember } from '../stores/team';

/**
 * One agent up close (it opens when its card is clicked): its totals, its
 * actions (Interrupt; Stop and delete, confirmed; a command of your own) and
 * its timeline — commands, replies, tools with their input and output
 * collapsed — with the files its tools touched.
 */
export class AgentView {
  readonly element: HTMLElement;
  private readonly title: HTMLHeadingElement;
  private readonly badge: HTMLElement;
  private readonly facts: Record<'model' | 'session' | 'tokens' | 'cost' | 'budget' | 'counters' | 'task', HTMLElement>;
  private readonly interrupt: HTMLButtonElement;
  private readonly remove: HTMLButtonElement;
  private readonly confirm: HTMLElement;
  private readonly confirmText: HTMLElement;
  private readonly commandBox: HTMLTextAreaElement;
  private readonly toast: HTMLElement;
  private readonly files: HTMLElement;
  private readonly filesList: HTMLElement;
  private readonly timelineStatus: HTMLElement;
  private readonly timeline: KeyedList<TimelineEntry>;
  private member: TeamMember | null = null;
  private deleting = false;

  constructor(private readonly store: OrchestratorStore, onBack: () => void) {
    const back = h('button', { type: 'button', class: 'button button--small', 'data-action': 'back' }, '← All agents');
    back.addEventListener('click', onBack);
    this.title = h('h3', { class: 'agent-view-title', tabindex: '-1' });
    this.badge = h('span', { class: 'badge', 'data-testid': 'agent-view-state' });
    const fact = (label: string): HTMLElement => h('dd', { 'data-fact': label });
    this.facts = {
      model: fact('model'), session: fact('session'), tokens: fact('tokens'), cost: fact('cost'),
      budget: fact('budget'), counters: fact('counters'), task: fact('task'),
    };
    this.interrupt = h('button', { type: 'button', class: 'button button--small', 'data-action': 'interrupt' }, 'Interrupt');
    this.interrupt.addEventListener('click', () => {
      if (this.member) void store.interruptAgent(this.member.id);
    });
    this.remove = h('button', { type: 'button', class: 'button button--small button--danger', 'data-action': 'delete' }, 'Stop and delete…');
    this.confirmText = h('p', {});
    const yes = h('button', { type: 'button', class: 'button button--small button--danger', 'data-action': 'confirm-delete' }, 'Stop and delete');
    const no = h('button', { type: 'button', class: 'button button--small', 'data-action': 'cancel-delete' }, 'Cancel');
    this.confirm = h('div', { class: 'agent-confirm', role: 'alertdialog', 'aria-label': 'Confirm delete', hidden: true }, this.confirmText, h('div', { class: 'agent-actions' }, yes, no));
    this.remove.addEventListener('click', () => this.askToDelete(true));
    no.addEventListener('click', () => this.askToDelete(false));
    yes.addEventListener('click', () => void this.deleteNow());
    this.confirm.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      event.stopPropagation(); // Escape here cancels the question, not the view
      this.askToDelete(false);
      this.remove.focus();
    });

    this.commandBox = h('textarea', { id: 'agent-command', class: 'chat-textarea', rows: 2, placeholder: 'Tell the agent what to do…', 'aria-describedby': 'agent-command-hint agent-toast' });
    const send = h('button', { type: 'submit', class: 'button button--primary button--small', 'data-action': 'send-command' }, 'Send');
    this.toast = h('p', { id: 'agent-toast', class: 'chat-toast', role: 'status' });
    const form = h('form', { class: 'agent-command', 'aria-label': 'Command the agent' },
      h('label', { for: 'agent-command', class: 'agent-command-label' }, 'Command'),
      this.commandBox,
      h('div', { class: 'agent-command-bar' }, h('p', { id: 'agent-command-hint', class: 'hint' }, 'Enter to send · queued if it is busy'), send),
      this.toast);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.sendCommand();
    });
    this.commandBox.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && !event.altKey && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        void this.sendCommand();
      }
    });

    this.filesList = h('ul', { class: 'agent-files' });
    this.files = h('details', { class: 'agent-files-box' }, h('summary', {}, 'Files touched'), this.filesList);
    this.timelineStatus = h('p', { class: 'hint', role: 'status' });
    const list = h('ol', { class: 'agent-timeline', 'aria-label': 'Timeline', 'data-testid': 'agent-timeline' });
    this.timeline = new KeyedList<TimelineEntry>(list, {
      key: (entry) => entry.key,
      create: (entry) => timelineRow(entry, this.member?.name ?? 'agent'),
      update: (element, entry, previous) => (sameEntry(entry, previous) ? element : timelineRow(entry, this.member?.name ?? 'agent')),
    });

    this.element = h('section', { class: 'agent-view', 'aria-labelledby': 'agent-view-title', 'data-testid': 'agent-view', hidden: true },
      h('div', { class: 'agent-view-head' }, back, this.badge),
      this.title,
      h('dl', { class: 'agent-facts' },
        ...(['task', 'model', 'session', 'tokens', 'cost', 'budget', 'counters'] as const).flatMap((key) => [h('dt', {}, key[0]?.toUpperCase() + key.slice(1)), this.facts[key]])),
      h('div', { class: 'agent-actions' }, this.interrupt, this.remove),
      this.confirm,
      form,
      this.files,
      h('h4', { class: 'agent-timeline-title' }, 'Timeline'),
      this.timelineStatus,
      list);
    this.title.id = 'agent-view-title';
    // Escape goes back to the cards, as "← All agents" does.
    this.element.addEventListener('keydown', (event) => {
      // Not from a command being typed: Escape there would throw the text away.
      if (event.key === 'Escape' && !(event.target === this.commandBox && this.commandBox.value !== '')) onBack();
    });
  }

  /** Shows `member` (null hides the view). */
  render(state: OrchestratorState, member: TeamMember | null, previous: OrchestratorState | null): void {
    const changedAgent = member?.id !== this.member?.id;
    this.member = member;
    this.element.hidden = member === null;
    if (!member) return;
    if (changedAgent) {
      this.askToDelete(false);
      this.commandBox.value = '';
      this.deleting = false;
    }
    this.element.style.setProperty('--agent-hue', String(agentHue(member.name)));
    setText(this.title, member.name);
    setText(this.badge, stateLabel(member));
    this.badge.className = `badge badge--${stateTone(member.status)}`;
    setText(this.facts.task, member.task ?? 'No command yet');
    setText(this.facts.model, member.model);
    setText(this.facts.session, member.sessionId ?? 'none yet');
    const context = member.contextTokens === null ? '' : ` · ${compactNumber(member.contextTokens)} in context`;
    setText(this.facts.tokens, `${compactNumber(member.inputTokens)} in · ${compactNumber(member.outputTokens)} out${context}`);
    setText(this.facts.cost, dollars(member.totalCost));
    this.facts.cost.title = exactDollars(member.totalCost);
    const use = budgetUse(member);
    setText(this.facts.budget, member.budgetUsd === null ? 'none' : `${exactDollars(member.budgetUsd)}${use ? ` (${Math.round(use.share * 100)} % used)` : ''}`);
    this.facts.budget.classList.toggle('is-warning', use?.warn ?? false);
    setText(this.facts.counters, countersLine(member.counters));
    this.interrupt.disabled = member.status !== 'running';
    this.remove.disabled = this.deleting;
    setText(this.toast, state.toast ?? '');

    const view = state.agentView;
    if (changedAgent || previous === null || view !== previous.agentView || state.chat !== previous.chat) {
      const entries = agentTimeline(member.id, view.logs, itemsOf(state));
      // The newest rows only: a long-lived agent's thousands of rows would make the column slow to scroll.
      this.timeline.render(entries.length > timelineLimit ? entries.slice(-timelineLimit) : entries);
      const older = entries.length > timelineLimit ? `Showing the newest ${timelineLimit} of ${entries.length}; the event stream has the rest.` : '';
      setText(this.timelineStatus, view.error ?? (view.loading ? 'Loading its log…' : entries.length === 0 ? 'Nothing yet: give it a command.' : older));
      const files = filesTouched(view.logs);
      this.files.hidden = files.length === 0;
      this.filesList.replaceChildren(...files.map((file) => h('li', { class: 'mono' }, file)));
    }
  }

  focusTitle(): void {
    this.title.focus();
  }

  private askToDelete(open: boolean): void {
    this.confirm.hidden = !open;
    if (!open || !this.member) return;
    setText(this.confirmText, `Stop ${this.member.name}'s process and delete it? Its history stays; its name becomes free.`);
    (this.confirm.querySelector('[data-action="cancel-delete"]') as HTMLElement).focus();
  }

  private async deleteNow(): Promise<void> {
    const member = this.member;
    if (!member || this.deleting) return;
    this.deleting = true;
    this.remove.disabled = true;
    setText(this.remove, 'Stopping…');
    this.confirm.hidden = true;
    const deleted = await this.store.deleteAgent(member.id);
    // Deleted: agent_deleted closes the view. Not deleted: the toast says why.
    this.deleting = false;
    setText(this.remove, 'Stop and delete…');
    this.remove.disabled = false;
    if (!deleted) this.remove.focus();
  }

  private async sendCommand(): Promise<void> {
    const member = this.member;
    if (!member) return;
    const text = this.commandBox.value;
    if (await this.store.commandAgent(member.id, text)) {
      if (this.commandBox.value === text) this.commandBox.value = '';
    }
  }
}

const timelineLimit = 400;

function itemsOf(state: OrchestratorState): Iterable<ChatItem> {
  return state.chat.items.values();
}

function sameEntry(a: TimelineEntry, b: TimelineEntry): boolean {
  if (a.kind !== b.kind || a.at !== b.at) return false;
  if (a.kind === 'tool' && b.kind === 'tool') return a.output === b.output && a.isError === b.isError;
  return 'text' in a && 'text' in b ? a.text === b.text : true;
}

function timelineRow(entry: TimelineEntry, name: string): HTMLElement {
  const time = h('time', { datetime: entry.at, title: fullTime(entry.at) }, clockTime(entry.at));
  const head = (label: string): HTMLElement => h('div', { class: 'tl-head' }, h('span', { class: 'tl-label' }, label), time);
  const row = (...children: Array<Node | string>): HTMLElement => h('li', { class: `tl-row tl-row--${entry.kind}`, 'data-kind': entry.kind }, ...children);
  switch (entry.kind) {
    case 'command':
      return row(head(`${entry.from} → ${name}`), h('p', { class: 'tl-text' }, entry.text));
    case 'result':
      return row(head(`${name} → result`), h('p', { class: 'tl-text' }, entry.text));
    case 'reply':
      return row(head(entry.nested ? `${name} (sub-agent)` : name), h('p', { class: 'tl-text' }, entry.text));
    case 'note':
      return row(head('Note'), h('p', { class: 'tl-text' }, entry.text));
    case 'thinking':
      return row(h('details', {}, h('summary', {}, h('span', { class: 'tl-label' }, 'Thinking'), ' ', h('span', { class: 'summary-preview' }, preview(entry.text))), h('p', { class: 'tl-text' }, entry.text)));
    case 'tool': {
      const input = entry.input === null ? '' : JSON.stringify(entry.input, null, 2);
      const details = h('details', {},
        h('summary', {}, h('span', { class: 'tl-label' }, `Tool · ${entry.name}`), ' ', h('span', { class: 'summary-preview' }, preview(input)),
          entry.output === null ? h('span', { class: 'hint' }, ' running') : entry.isError ? h('span', { class: 'tl-error' }, ' error') : null),
        input ? h('pre', { class: 'tool-json' }, input) : null,
        entry.output !== null ? h('pre', { class: `tool-json${entry.isError ? ' is-error' : ''}` }, entry.output) : null);
      setAttribute(details, 'data-tool', entry.name);
      return row(details);
    }
  }
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 80)}…` : flat;
}
