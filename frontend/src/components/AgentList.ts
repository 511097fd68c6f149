import { h, setText } from '../lib/dom';
import { compactNumber, dollars } from '../lib/format';
import { KeyedList } from '../lib/keyedList';
import { isWorking, type OrchestratorState } from '../stores/orchestratorState';
import type { OrchestratorStore } from '../stores/orchestratorStore';
import { grouped, groupLabel, type TeamGroup, teamGroups, type TeamMember } from '../stores/team';
import { createAgentCard, renderActivity, updateAgentCard } from './AgentCard';
import { AgentView } from './AgentView';

interface GroupView {
  section: HTMLElement;
  toggle: HTMLButtonElement;
  count: HTMLElement;
  list: HTMLElement;
  cards: KeyedList<TeamMember>;
}

/** Where the focused agent is kept across a refresh of the tab. */
const focusKey = 'orch.focusedAgent';

/**
 * The left column: the orchestrator's card on top, then one card per agent
 * grouped Needs you / Running / Queued / Idle / Done (each group collapsible,
 * with its count), or, when an agent is focused, that agent's view. Cards
 * change with the agent events only; a one-second tick moves the elapsed
 * time of running commands while any runs.
 */
export class AgentList {
  private readonly status: HTMLElement;
  private readonly session: HTMLElement;
  private readonly directory: HTMLElement;
  private readonly usage: HTMLElement;
  private readonly count: HTMLElement;
  private readonly teamBox: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly groups = new Map<TeamGroup, GroupView>();
  private readonly collapsed = new Set<TeamGroup>();
  private readonly view: AgentView;
  private tick: number | null = null;
  private restored = false;
  private state: OrchestratorState | null = null;

  constructor(root: HTMLElement, private readonly store: OrchestratorStore, headerTools: HTMLElement[] = []) {
    this.status = h('span', { class: 'badge badge--info', 'data-testid': 'orchestrator-status' }, 'idle');
    this.session = h('dd', {}, '—');
    this.directory = h('dd', { class: 'mono' }, '—');
    this.usage = h('dd', {}, '—');
    this.count = h('span', { class: 'column-count', 'data-testid': 'agent-count' });
    this.empty = h('div', { class: 'empty-state', 'data-testid': 'agents-empty' },
      h('p', { class: 'empty-title' }, 'No sub-agents yet'),
      h('p', {}, 'The orchestrator creates agents when a task needs a team: ask it, for example, “create a tester agent and have it run the tests”.'),
      h('p', {}, 'Each agent appears here with its state, task and spend; click one to follow it or to give it a command yourself.'));
    this.teamBox = h('div', { class: 'team-groups' });
    for (const group of teamGroups) this.groups.set(group, this.groupView(group));
    this.teamBox.append(...[...this.groups.values()].map((g) => g.section));
    this.view = new AgentView(store, () => this.close());
    root.append(
      h('div', { class: 'column-header' }, h('h2', { id: 'agents-title' }, 'Agents'), this.count, ...headerTools),
      h('div', { class: 'column-scroll' },
        h('article', { class: 'agent-card orchestrator-card', 'aria-label': 'The orchestrator', 'data-testid': 'orchestrator-card' },
          h('header', {}, h('h3', {}, 'Orchestrator'), this.status),
          h('dl', {}, h('dt', {}, 'Session'), this.session, h('dt', {}, 'Directory'), this.directory, h('dt', {}, 'Usage'), this.usage)),
        this.view.element,
        this.teamBox,
        this.empty),
    );
    root.setAttribute('aria-labelledby', 'agents-title');
    store.store.subscribe((state, previous) => this.render(state, previous));
  }

  private groupView(group: TeamGroup): GroupView {
    const count = h('span', { class: 'team-group-count' });
    const list = h('div', { class: 'team-group-cards', id: `team-group-${group}` });
    const toggle = h('button', { type: 'button', class: 'team-group-toggle', 'aria-expanded': 'true', 'aria-controls': list.id },
      h('span', { class: 'team-group-name' }, groupLabel(group)), count);
    const section = h('section', { class: 'team-group', 'data-group': group, 'aria-label': groupLabel(group) }, h('h3', { class: 'team-group-title' }, toggle), list);
    toggle.addEventListener('click', () => {
      if (this.collapsed.has(group)) this.collapsed.delete(group);
      else this.collapsed.add(group);
      const open = !this.collapsed.has(group);
      toggle.setAttribute('aria-expanded', String(open));
      list.hidden = !open;
    });
    const cards = new KeyedList<TeamMember>(list, {
      key: (member) => member.id,
      create: (member) => createAgentCard(member, { open: (id) => this.open(id), interrupt: (id) => void this.store.interruptAgent(id) }),
      update: (element, member, previous) => updateAgentCard(element, member, previous, Date.now()),
    });
    return { section, toggle, count, list, cards };
  }

  private open(agentId: string): void {
    if (!agentId) return;
    this.store.focusAgent(agentId);
    // The view renders on the next frame; focus moves to its title then (for keyboard and screen reader users).
    requestAnimationFrame(() => this.view.focusTitle());
  }

  private close(): void {
    const id = this.store.state.focusedAgentId;
    this.store.focusAgent(null);
    requestAnimationFrame(() => {
      const card = id ? this.teamBox.querySelector<HTMLElement>(`[data-agent-id="${CSS.escape(id)}"] .agent-name`) : null;
      card?.focus();
    });
  }

  private render(state: OrchestratorState, previous: OrchestratorState | null): void {
    this.state = state;
    if (previous === null || state.orchestrator !== previous.orchestrator || state.chat !== previous.chat || state.permissions !== previous.permissions) {
      this.renderOrchestrator(state);
    }
    const teamChanged = previous === null || state.team !== previous.team;
    const focusChanged = previous === null || state.focusedAgentId !== previous.focusedAgentId;
    if (teamChanged) this.renderTeam(state);
    if (focusChanged) this.rememberFocus(state);
    if (teamChanged && !this.restored && state.team.loaded) this.restoreFocus(state);
    const focused = state.focusedAgentId ? (state.team.members.get(state.focusedAgentId) ?? null) : null;
    if (teamChanged || focusChanged || previous === null || state.agentView !== previous.agentView || state.chat !== previous.chat || state.toast !== previous.toast) {
      this.view.render(state, focused, previous);
    }
    this.teamBox.hidden = focused !== null || state.team.members.size === 0;
    this.empty.hidden = focused !== null || state.team.members.size > 0 || !state.team.loaded;
  }

  private renderOrchestrator(state: OrchestratorState): void {
    const working = isWorking(state);
    // Its turn waits for a person: the same words and colour as an agent that needs you.
    const asking = [...state.permissions.pending.values()].some((request) => request.agent_id === null);
    setText(this.status, asking ? 'needs you' : working ? 'working' : 'idle');
    this.status.className = `badge ${asking ? 'badge--attention' : working ? 'badge--warn' : 'badge--info'}`;
    this.status.title = asking ? 'It waits for your answer in the permission inbox' : '';
    const o = state.orchestrator;
    if (!o) return;
    setText(this.session, o.session_id ? o.session_id.slice(0, 8) : 'new (starts with the first message)');
    this.session.title = o.session_id ?? '';
    setText(this.directory, o.working_dir ?? '—');
    setText(this.usage, `${compactNumber(o.input_tokens + o.output_tokens)} tokens · ${dollars(o.total_cost)}`);
  }

  private renderTeam(state: OrchestratorState): void {
    const groups = grouped(state.team);
    let running = false;
    for (const group of teamGroups) {
      const view = this.groups.get(group);
      const members = groups[group];
      if (!view) continue;
      view.cards.render(members);
      setText(view.count, String(members.length));
      view.section.hidden = members.length === 0;
      if (group === 'running' && members.some((m) => m.status === 'running')) running = true;
    }
    const size = state.team.members.size;
    setText(this.count, size === 0 ? '' : `${size} agent${size === 1 ? '' : 's'}`);
    this.runTick(running);
  }

  /** Elapsed times tick once a second, only while something runs. */
  private runTick(running: boolean): void {
    if (running && this.tick === null) {
      this.tick = window.setInterval(() => this.tickActivity(), 1000);
    } else if (!running && this.tick !== null) {
      window.clearInterval(this.tick);
      this.tick = null;
    }
  }

  private tickActivity(): void {
    const team = this.state?.team;
    const view = this.groups.get('running');
    if (!team || !view) return;
    const now = Date.now();
    for (const member of grouped(team).running) {
      const card = view.cards.elementFor(member.id);
      if (card) renderActivity(card, member, now);
    }
  }

  private rememberFocus(state: OrchestratorState): void {
    try {
      if (state.focusedAgentId) sessionStorage.setItem(focusKey, state.focusedAgentId);
      else if (this.restored) sessionStorage.removeItem(focusKey);
    } catch {
      // storage may be off (private mode): the view just does not come back after a refresh
    }
  }

  /** After a refresh, the agent that was open opens again (if it still exists). */
  private restoreFocus(state: OrchestratorState): void {
    this.restored = true;
    let id: string | null = null;
    try {
      id = sessionStorage.getItem(focusKey);
    } catch {
      return;
    }
    if (id && state.team.members.has(id) && state.focusedAgentId === null) this.store.focusAgent(id);
  }
}
