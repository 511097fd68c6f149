import { h, setAttribute, setText } from '../lib/dom';
import { compactNumber, dollars } from '../lib/format';
import { messageCount, type OrchestratorState, turnCount } from '../stores/orchestratorState';
import type { OrchestratorStore } from '../stores/orchestratorStore';
import { exactDollars, teamTotals } from '../stores/team';
import type { ConnectionState } from '../types';

interface Pill {
  value: HTMLElement;
  element: HTMLElement;
}

function pill(label: string, name: string): Pill {
  const value = h('span', { class: 'pill-value', 'data-stat': name }, '0');
  return { value, element: h('li', { class: 'pill' }, h('span', { class: 'pill-label' }, label), value) };
}

/** Connection state in words, with when the next attempt happens. */
export function describeConnection(connection: ConnectionState, now: number): { label: string; tone: 'ok' | 'busy' | 'down' } {
  switch (connection.phase) {
    case 'loading':
      return { label: 'Loading…', tone: 'busy' };
    case 'connecting':
      return { label: connection.attempt > 1 ? `Connecting (attempt ${connection.attempt})…` : 'Connecting…', tone: 'busy' };
    case 'syncing':
      return { label: 'Catching up…', tone: 'busy' };
    case 'open':
      return { label: 'Connected', tone: 'ok' };
    case 'waiting': {
      const seconds = connection.retryAt === null ? 0 : Math.max(0, Math.ceil((connection.retryAt - now) / 1000));
      return { label: `Disconnected — retrying in ${seconds} s`, tone: 'down' };
    }
  }
}

/**
 * Title, connection state (with "Reconnect now" while waiting) and the stat
 * pills: messages and turns, tokens, cost, WebSocket events.
 */
export class AppHeader {
  private readonly dot: HTMLElement;
  private readonly label: HTMLElement;
  private readonly detail: HTMLElement;
  private readonly reconnect: HTMLButtonElement;
  private readonly pills: Record<'messages' | 'turns' | 'tokens' | 'cost' | 'running' | 'queued' | 'needsYou' | 'teamCost' | 'events', Pill>;
  private countdown: number | null = null;
  private state: OrchestratorState | null = null;

  /** `tools`: buttons of other views shown beside the connection state (the inbox's). */
  constructor(root: HTMLElement, store: OrchestratorStore, tools: HTMLElement[] = []) {
    this.dot = h('span', { class: 'status-dot', 'aria-hidden': 'true' });
    this.label = h('span', { class: 'status-label' });
    this.detail = h('span', { class: 'status-detail' });
    this.reconnect = h('button', { type: 'button', class: 'button button--small', hidden: true }, 'Reconnect now');
    this.reconnect.addEventListener('click', () => store.reconnectNow());
    this.pills = {
      messages: pill('Messages', 'messages'),
      turns: pill('Turns', 'turns'),
      tokens: pill('Tokens', 'tokens'),
      cost: pill('Cost', 'cost'),
      running: pill('Running', 'agents-running'),
      queued: pill('Queued', 'agents-queued'),
      needsYou: pill('Needs you', 'agents-needs-you'),
      teamCost: pill('Team cost', 'team-cost'),
      events: pill('WS events', 'ws-events'),
    };
    root.append(
      h('h1', { class: 'app-title' }, 'Orch', h('span', { class: 'app-subtitle' }, ' · orchestrator console')),
      h('div', { class: 'connection', role: 'status', 'aria-live': 'polite', 'data-testid': 'connection' }, this.dot, this.label, this.detail, this.reconnect),
      ...tools,
      h('ul', { class: 'pills', 'aria-label': 'Conversation totals' }, ...Object.values(this.pills).map((p) => p.element)),
    );
    store.store.subscribe((state, previous) => this.render(state, previous));
  }

  private render(state: OrchestratorState, previous: OrchestratorState | null): void {
    this.state = state;
    if (previous === null || state.connection !== previous.connection || state.startupError !== previous.startupError) this.renderConnection();
    if (previous === null || state.chat !== previous.chat || state.history !== previous.history) {
      setText(this.pills.messages.value, compactNumber(messageCount(state)));
      const turns = turnCount(state);
      setText(this.pills.turns.value, `${compactNumber(turns.count)}${turns.more ? '+' : ''}`);
      this.pills.turns.element.title = turns.more ? 'Questions asked in the loaded history; older history exists' : 'Questions asked';
      this.pills.messages.element.title = 'Rows in the conversation: your messages and each reply block';
    }
    if (previous === null || state.orchestrator !== previous.orchestrator) {
      const o = state.orchestrator;
      setText(this.pills.tokens.value, o ? compactNumber(o.input_tokens + o.output_tokens) : '0');
      this.pills.tokens.element.title = o ? `${compactNumber(o.input_tokens)} input + ${compactNumber(o.output_tokens)} output` : '';
      setText(this.pills.cost.value, dollars(o?.total_cost ?? 0));
    }
    if (previous === null || state.team !== previous.team || state.orchestrator !== previous.orchestrator) this.renderTeam(state);
    if (previous === null || state.stats !== previous.stats) setText(this.pills.events.value, compactNumber(state.stats.wsFrames));
  }

  /** The team's counts, and the whole team's spend: the orchestrator's plus every agent's. */
  private renderTeam(state: OrchestratorState): void {
    const totals = teamTotals(state.team);
    const own = state.orchestrator?.total_cost ?? 0;
    setText(this.pills.running.value, String(totals.running));
    setText(this.pills.queued.value, String(totals.queued));
    setText(this.pills.needsYou.value, String(totals.needsYou));
    this.pills.needsYou.element.classList.toggle('pill--attention', totals.needsYou > 0);
    this.pills.running.element.title = state.team.maxRunning > 0 ? `Agents running commands (at most ${state.team.maxRunning} at once)` : 'Agents running commands';
    setText(this.pills.teamCost.value, dollars(own + totals.cost));
    this.pills.teamCost.element.title = `${exactDollars(own + totals.cost)}: orchestrator ${exactDollars(own)} + agents ${exactDollars(totals.cost)}`;
  }

  private renderConnection(): void {
    const state = this.state;
    if (!state) return;
    const { label, tone } = describeConnection(state.connection, Date.now());
    setText(this.label, label);
    setAttribute(this.dot, 'data-tone', tone);
    setText(this.detail, state.connection.phase === 'waiting' && state.connection.detail ? state.connection.detail : '');
    this.reconnect.hidden = state.connection.phase !== 'waiting';
    // The countdown ticks once a second while waiting, from the same state.
    if (state.connection.phase === 'waiting' && this.countdown === null) {
      this.countdown = window.setInterval(() => this.renderConnection(), 1000);
    } else if (state.connection.phase !== 'waiting' && this.countdown !== null) {
      window.clearInterval(this.countdown);
      this.countdown = null;
    }
  }
}
