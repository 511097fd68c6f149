import { h, setAttribute, setText } from '../lib/dom';
import { compactNumber, dollars } from '../lib/format';
import { activityLine, agentHue, budgetUse, countersLine, exactDollars, stateLabel, stateTone, type TeamMember } from '../stores/team';

export interface CardActions {
  open(agentId: string): void;
  interrupt(agentId: string): void;
}

/**
 * One agent's card: name in its stable colour, state with its reason, model,
 * task, live activity, spend against its budget, counters. The whole card
 * opens the agent view; its name is the button that does so from the
 * keyboard, and Interrupt shows while a command runs.
 */
export function createAgentCard(member: TeamMember, actions: CardActions): HTMLElement {
  const name = h('button', { type: 'button', class: 'agent-name', 'data-field': 'name' });
  const interrupt = h('button', { type: 'button', class: 'button button--small button--danger', 'data-action': 'interrupt' }, 'Interrupt');
  const card = h('article', { class: 'agent-card team-card', 'data-testid': 'agent-card' },
    h('header', {}, h('span', { class: 'agent-swatch', 'aria-hidden': 'true' }), name, h('span', { class: 'badge', 'data-field': 'state' })),
    h('p', { class: 'agent-task', 'data-field': 'task' }),
    h('p', { class: 'agent-activity', 'data-field': 'activity' }),
    h('p', { class: 'agent-usage' },
      h('span', { 'data-field': 'model', class: 'agent-model' }), ' · ',
      h('span', { 'data-field': 'tokens' }), ' · ',
      h('span', { 'data-field': 'context' }),
      h('span', { 'data-field': 'cost', tabindex: '0' })),
    h('progress', { class: 'budget-bar', max: '1', 'data-field': 'budget' }),
    h('p', { class: 'agent-counters', 'data-field': 'counters' }),
    h('div', { class: 'agent-card-actions' }, interrupt),
  );
  name.addEventListener('click', () => actions.open(card.dataset['agentId'] ?? ''));
  interrupt.addEventListener('click', () => actions.interrupt(card.dataset['agentId'] ?? ''));
  // A click anywhere else on the card opens it too (buttons handle their own).
  card.addEventListener('click', (event) => {
    if (!(event.target instanceof Element) || event.target.closest('button, a, [tabindex]')) return;
    actions.open(card.dataset['agentId'] ?? '');
  });
  updateAgentCard(card, member, null, Date.now());
  return card;
}

export function updateAgentCard(card: HTMLElement, member: TeamMember, previous: TeamMember | null, nowMs: number): void {
  const field = (name: string): HTMLElement => card.querySelector(`[data-field="${name}"]`) as HTMLElement;
  card.dataset['agentId'] = member.id;
  card.dataset['agentName'] = member.name;
  card.dataset['status'] = member.status;
  card.style.setProperty('--agent-hue', String(agentHue(member.name)));
  setAttribute(card, 'aria-label', `Agent ${member.name}, ${stateLabel(member)}`);
  setText(field('name'), member.name);
  const state = field('state');
  setText(state, stateLabel(member));
  state.className = `badge badge--${stateTone(member.status)}`;
  setText(field('task'), member.task ?? 'No command yet');
  field('task').title = member.task ?? '';
  renderActivity(card, member, nowMs);
  setText(field('model'), member.model);
  setText(field('tokens'), `${compactNumber(member.inputTokens + member.outputTokens)} tokens`);
  field('tokens').title = `${member.inputTokens} input + ${member.outputTokens} output tokens`;
  const context = field('context');
  context.hidden = member.contextTokens === null;
  setText(context, member.contextTokens === null ? '' : `${compactNumber(member.contextTokens)} in context · `);
  setText(field('cost'), dollars(member.totalCost));
  field('cost').title = `${exactDollars(member.totalCost)}${member.budgetUsd !== null ? ` of ${exactDollars(member.budgetUsd)} budget` : ''}`;
  setAttribute(field('cost'), 'aria-label', `cost ${field('cost').title}`);
  const budget = field('budget') as HTMLProgressElement;
  const use = budgetUse(member);
  budget.hidden = use === null;
  if (use) {
    budget.value = use.share;
    budget.classList.toggle('is-warning', use.warn);
    setAttribute(budget, 'aria-label', `Budget used: ${Math.round(use.share * 100)} %`);
  }
  setText(field('counters'), countersLine(member.counters));
  (card.querySelector('[data-action="interrupt"]') as HTMLElement).hidden = member.status !== 'running';
  // A short pulse when it did something (not on the first render). The Web Animations API
  // restarts it without forcing a layout, as restarting a CSS animation would.
  if (previous && member.lastActivityAt !== previous.lastActivityAt && !reducedMotion() && typeof card.animate === 'function') {
    card.animate(pulseFrames, { duration: 700, easing: 'ease-out' });
  }
}

const pulseFrames: Keyframe[] = [
  { boxShadow: '0 0 0 2px hsl(var(--agent-hue) 70% 60% / 0.9)' },
  { boxShadow: '0 0 0 2px hsl(var(--agent-hue) 70% 60% / 0)' },
];

function reducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}

/** The live line alone: the column's one-second tick calls this for running agents. */
export function renderActivity(card: HTMLElement, member: TeamMember, nowMs: number): void {
  const activity = card.querySelector('[data-field="activity"]');
  if (activity) setText(activity, activityLine(member, nowMs));
}
