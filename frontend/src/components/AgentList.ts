import { h, setText } from '../lib/dom';
import { compactNumber, dollars } from '../lib/format';
import { isWorking, type OrchestratorState } from '../stores/orchestratorState';
import type { OrchestratorStore } from '../stores/orchestratorStore';

/**
 * The left column. The host publishes one agent today, the orchestrator
 * itself: its card shows its state, session and spend. Sub-agents appear here
 * once the host publishes them; until then the column says so.
 */
export class AgentList {
  private readonly status: HTMLElement;
  private readonly session: HTMLElement;
  private readonly directory: HTMLElement;
  private readonly usage: HTMLElement;

  constructor(root: HTMLElement, store: OrchestratorStore) {
    this.status = h('span', { class: 'badge badge--info', 'data-testid': 'orchestrator-status' }, 'idle');
    this.session = h('dd', {}, '—');
    this.directory = h('dd', { class: 'mono' }, '—');
    this.usage = h('dd', {}, '—');
    root.append(
      h('div', { class: 'column-header' }, h('h2', { id: 'agents-title' }, 'Agents')),
      h('div', { class: 'column-scroll' },
        h('article', { class: 'agent-card', 'aria-label': 'The orchestrator' },
          h('header', {}, h('h3', {}, 'Orchestrator'), this.status),
          h('dl', {}, h('dt', {}, 'Session'), this.session, h('dt', {}, 'Directory'), this.directory, h('dt', {}, 'Usage'), this.usage)),
        h('div', { class: 'empty-state' },
          h('p', { class: 'empty-title' }, 'No sub-agents yet'),
          h('p', {}, 'Agents the orchestrator creates will appear here with their status and cost.'))),
    );
    root.setAttribute('aria-labelledby', 'agents-title');
    store.store.subscribe((state, previous) => this.render(state, previous));
  }

  private render(state: OrchestratorState, previous: OrchestratorState | null): void {
    if (previous !== null && state.orchestrator === previous.orchestrator && state.chat === previous.chat) return;
    const working = isWorking(state);
    setText(this.status, working ? 'working' : 'idle');
    this.status.className = `badge ${working ? 'badge--warn' : 'badge--info'}`;
    const o = state.orchestrator;
    if (!o) return;
    setText(this.session, o.session_id ? o.session_id.slice(0, 8) : 'new (starts with the first message)');
    this.session.title = o.session_id ?? '';
    setText(this.directory, o.working_dir ?? '—');
    setText(this.usage, `${compactNumber(o.input_tokens + o.output_tokens)} tokens · ${dollars(o.total_cost)}`);
  }
}
