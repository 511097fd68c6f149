import type { AgentLog, AgentStatus, AgentSummary, ChatRow, HostEvent, ListAgentsResponse } from '../types';

/**
 * The team as the console shows it: one member per live agent, built from
 * `GET /list_agents` and kept current by the agent events alone (never by
 * polling). Pure: the reducers return a new `Team` only when something changed,
 * so views can compare slices by identity.
 */

/** Where a card sits in the Agents column, in this order. */
export type TeamGroup = 'needs_you' | 'running' | 'queued' | 'idle' | 'done';

export const teamGroups: readonly TeamGroup[] = ['needs_you', 'running', 'queued', 'idle', 'done'];

export interface TeamCounters {
  /** Text blocks it wrote (its own Claude sub-agents' included: the store counts rows by type). */
  responses: number;
  tools: number;
  hooks: number;
  thinking: number;
}

export interface TeamMember {
  id: string;
  name: string;
  model: string;
  status: AgentStatus;
  /** Why it is in that state ("budget_exceeded", "host_restarted", …), or null. */
  reason: string | null;
  sessionId: string | null;
  inputTokens: number;
  outputTokens: number;
  /** The input its last API call sent (how full its context is), once known. */
  contextTokens: number | null;
  totalCost: number;
  budgetUsd: number | null;
  /** The host's 80 % warning arrived for the current budget. */
  budgetWarning: boolean;
  /** The running command, else the last one given (shortened by the host or here). */
  task: string | null;
  /** The command that runs now. */
  turnId: string | null;
  /** When the running command started (for the elapsed time); null when not running. */
  runningSince: string | null;
  lastTool: string | null;
  /** The time of its newest event: cards pulse when it changes. */
  lastActivityAt: string | null;
  counters: TeamCounters;
  lastResult: string | null;
  /** Commands that ended with a result row (counted so a command that starts and ends between two renders is still seen). */
  finishedCommands: number;
  /** How the last one ended: success, failed, interrupted, dropped. */
  lastOutcome: string | null;
  /** 1-based place in the host's slot queue while queued. */
  queuePosition: number | null;
  /** The highest log `seq` seen (the stream pages older rows below it). */
  lastSeq: number;
  createdAt: string | null;
}

export interface Team {
  /** `list_agents` answered at least once. */
  loaded: boolean;
  members: ReadonlyMap<string, TeamMember>;
  /** Member ids in creation order (cards sort within their group by it). */
  order: readonly string[];
  running: number;
  maxRunning: number;
}

export const emptyTeam: Team = { loaded: false, members: new Map(), order: [], running: 0, maxRunning: 0 };

const zeroCounters: TeamCounters = { responses: 0, tools: 0, hooks: 0, thinking: 0 };

export function groupOf(status: AgentStatus): TeamGroup {
  switch (status) {
    case 'needs_input':
      return 'needs_you';
    case 'starting':
    case 'running':
      return 'running';
    case 'queued':
      return 'queued';
    case 'idle':
      return 'idle';
    default:
      return 'done';
  }
}

/** A member from the host's summary. */
export function memberFromSummary(summary: AgentSummary, previous?: TeamMember): TeamMember {
  const running = summary.running_command ?? null;
  return {
    id: summary.id,
    name: summary.name,
    model: summary.model,
    status: summary.status,
    reason: summary.reason ?? null,
    sessionId: summary.session_id ?? null,
    inputTokens: summary.input_tokens,
    outputTokens: summary.output_tokens,
    contextTokens: summary.context_tokens ?? previous?.contextTokens ?? null,
    totalCost: summary.total_cost,
    budgetUsd: summary.budget_usd ?? null,
    budgetWarning: summary.budget_usd != null && summary.budget_usd > 0 && summary.total_cost >= summary.budget_usd * 0.8,
    task: running?.command ?? summary.last_command ?? previous?.task ?? null,
    turnId: running?.turn_id ?? null,
    // A page that opens mid-command has no start event: the command's id (a UUIDv7) says when it was given.
    runningSince: running ? (previous?.runningSince ?? uuidV7Time(running.turn_id)) : null,
    lastTool: previous?.lastTool ?? null,
    lastActivityAt: previous?.lastActivityAt ?? null,
    counters: summary.counts ?? previous?.counters ?? zeroCounters,
    lastResult: summary.last_result ?? previous?.lastResult ?? null,
    finishedCommands: summary.commands_done ?? previous?.finishedCommands ?? 0,
    lastOutcome: previous?.lastOutcome ?? null,
    queuePosition: summary.queue_position ?? null,
    lastSeq: Math.max(summary.last_seq ?? 0, previous?.lastSeq ?? 0),
    createdAt: summary.created_at ?? previous?.createdAt ?? null,
  };
}

/** The team as `list_agents` answered (replacing what the page had: it is the host's word). */
export function teamLoaded(team: Team, response: ListAgentsResponse): Team {
  const members = new Map<string, TeamMember>();
  for (const summary of response.agents) members.set(summary.id, memberFromSummary(summary, team.members.get(summary.id)));
  const order = [...response.agents]
    .sort((a, b) => (a.created_at ?? '').localeCompare(b.created_at ?? '') || a.name.localeCompare(b.name))
    .map((agent) => agent.id);
  const running = response.agents.filter((agent) => agent.status === 'running').length;
  return { loaded: true, members, order, running, maxRunning: response.max_running };
}

/** Folds a batch of host events into the team; returns `team` itself when none concerned it. */
export function applyTeamEvents(team: Team, events: readonly HostEvent[]): Team {
  let members: Map<string, TeamMember> | null = null;
  let order = team.order;
  let { running, maxRunning } = team;
  const edit = (): Map<string, TeamMember> => (members ??= new Map(team.members));
  const current = (id: string): TeamMember | undefined => (members ?? team.members).get(id);
  const put = (member: TeamMember): void => void edit().set(member.id, member);

  for (const event of events) {
    switch (event.type) {
      case 'agent_created': {
        const a = event.agent;
        const previous = current(a.id);
        put({
          ...(previous ?? memberFromSummary({ ...a, reason: a.status_reason ?? null, budget_usd: budgetOf(a.metadata) })),
          status: a.status,
          reason: a.status_reason ?? null,
          createdAt: a.created_at,
          lastActivityAt: a.created_at,
        });
        if (!order.includes(a.id)) order = [...order, a.id];
        break;
      }
      case 'agent_status_changed': {
        const member = current(event.agent_id);
        if (!member) break;
        const nowRunning = event.status === 'running';
        put({
          ...member,
          status: event.status,
          reason: event.reason ?? null,
          turnId: nowRunning ? (event.turn_id ?? member.turnId) : null,
          runningSince: nowRunning ? (member.status === 'running' ? member.runningSince : event.timestamp) : null,
          queuePosition: event.status === 'queued' ? member.queuePosition : null,
          lastActivityAt: event.timestamp,
        });
        break;
      }
      case 'agent_log': {
        const member = current(event.agent_id);
        if (!member) break;
        put(withLog(member, event.log));
        break;
      }
      case 'agent_updated': {
        const member = current(event.agent.id);
        if (!member) break;
        const a = event.agent;
        put({
          ...member,
          sessionId: a.session_id ?? member.sessionId,
          inputTokens: a.input_tokens,
          outputTokens: a.output_tokens,
          totalCost: a.total_cost,
          budgetUsd: a.budget_usd,
          contextTokens: a.context_tokens ?? member.contextTokens,
          budgetWarning: event.warning === 'budget_80' || member.budgetWarning,
        });
        break;
      }
      case 'agent_deleted': {
        if (!current(event.agent_id)) break;
        edit().delete(event.agent_id);
        order = order.filter((id) => id !== event.agent_id);
        break;
      }
      case 'agent_queue': {
        running = event.running;
        maxRunning = event.max_running;
        const positions = new Map(event.queue.map((entry) => [entry.agent_id, entry.position]));
        for (const member of (members ?? team.members).values()) {
          const position = positions.get(member.id) ?? null;
          if (position !== member.queuePosition) put({ ...member, queuePosition: position });
        }
        break;
      }
      case 'orchestrator_chat': {
        // A command to an agent (from the orchestrator or a person) is its task from now on;
        // the agent's answer is its last result.
        const row = event.message;
        if (!row.agent_id) break;
        const member = current(row.agent_id);
        if (!member) break;
        if (row.receiver_type === 'agent') put({ ...member, task: shortTask(row), lastActivityAt: row.created_at });
        else if (row.sender_type === 'agent') {
          const outcome = row.metadata?.['outcome'];
          put({
            ...member,
            lastResult: shortTask(row),
            finishedCommands: member.finishedCommands + 1,
            lastOutcome: typeof outcome === 'string' ? outcome : null,
            lastActivityAt: row.created_at,
          });
        }
        break;
      }
      default:
        break;
    }
  }
  if (members === null && order === team.order && running === team.running && maxRunning === team.maxRunning) return team;
  return { ...team, members: members ?? team.members, order, running, maxRunning };
}

/** Counters, last tool and activity after one log row (rows already counted are skipped by `seq`). */
export function withLog(member: TeamMember, log: AgentLog): TeamMember {
  if (log.seq <= member.lastSeq) return member;
  const counters = { ...member.counters };
  let lastTool = member.lastTool;
  if (log.event_category === 'hook') counters.hooks += 1;
  else if (log.event_type === 'thinking') counters.thinking += 1;
  else if (log.event_type === 'tool_use') {
    counters.tools += 1;
    lastTool = log.content ?? lastTool;
  } else if (log.event_type === 'text') counters.responses += 1;
  return { ...member, counters, lastTool, lastSeq: log.seq, lastActivityAt: log.timestamp };
}

const taskLength = 160;

function shortTask(row: ChatRow): string {
  const flat = row.message.replace(/\s+/g, ' ').trim();
  return flat.length > taskLength ? `${flat.slice(0, taskLength)}…` : flat;
}

/** The time a UUIDv7 was made (its first 48 bits are Unix milliseconds), or null for another kind of id. */
export function uuidV7Time(id: string): string | null {
  const hex = id.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex) || hex[12] !== '7') return null;
  return new Date(parseInt(hex.slice(0, 12), 16)).toISOString();
}

function budgetOf(metadata: Record<string, unknown> | undefined): number | null {
  const value = metadata?.['budget_usd'];
  return typeof value === 'number' ? value : null;
}

// ---- selectors ----

/** Member ids per group, each in creation order. */
export function grouped(team: Team): Record<TeamGroup, TeamMember[]> {
  const groups: Record<TeamGroup, TeamMember[]> = { needs_you: [], running: [], queued: [], idle: [], done: [] };
  for (const id of team.order) {
    const member = team.members.get(id);
    if (member) groups[groupOf(member.status)].push(member);
  }
  return groups;
}

export interface TeamTotals {
  running: number;
  queued: number;
  needsYou: number;
  /** The agents' spend (the orchestrator's is added by the header). */
  cost: number;
  tokens: number;
}

export function teamTotals(team: Team): TeamTotals {
  const totals: TeamTotals = { running: 0, queued: 0, needsYou: 0, cost: 0, tokens: 0 };
  for (const member of team.members.values()) {
    const group = groupOf(member.status);
    if (group === 'running') totals.running += 1;
    else if (group === 'queued') totals.queued += 1;
    else if (group === 'needs_you') totals.needsYou += 1;
    totals.cost += member.totalCost;
    totals.tokens += member.inputTokens + member.outputTokens;
  }
  return totals;
}

/** A stable hue (0–359) for an agent's name: the same name is the same colour on every page and every load. */
export function agentHue(name: string): number {
  let hash = 2166136261;
  for (let i = 0; i < name.length; i += 1) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return (hash >>> 0) % 360;
}

// ---- how a card says it ----

const groupLabels: Record<TeamGroup, string> = { needs_you: 'Needs you', running: 'Running', queued: 'Queued', idle: 'Idle', done: 'Done' };

export function groupLabel(group: TeamGroup): string {
  return groupLabels[group];
}

/** "budget_exceeded" → "budget exceeded". */
export function words(code: string): string {
  return code.replace(/_/g, ' ');
}

/** The badge: the state and, when there is one, why ("interrupted · budget exceeded", "queued · #2"). */
export function stateLabel(member: Pick<TeamMember, 'status' | 'reason' | 'queuePosition'>): string {
  const status = words(member.status === 'needs_input' ? 'needs you' : member.status);
  if (member.status === 'queued' && member.queuePosition !== null) return `${status} · #${member.queuePosition}`;
  return member.reason ? `${status} · ${words(member.reason)}` : status;
}

export type StateTone = 'info' | 'ok' | 'warn' | 'error' | 'muted';

export function stateTone(status: AgentStatus): StateTone {
  switch (status) {
    case 'starting':
    case 'running':
      return 'ok';
    case 'queued':
    case 'needs_input':
    case 'interrupted':
      return 'warn';
    case 'failed':
      return 'error';
    case 'idle':
      return 'info';
    default:
      return 'muted';
  }
}

/** Elapsed time of a running command: "0:07", "12:34", "1:02:03" (negative clock skew reads as 0:00). */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** The card's live line: what it does now, or what it did last. */
export function activityLine(member: TeamMember, nowMs: number): string {
  if (member.status === 'running') {
    const since = member.runningSince ? Date.parse(member.runningSince) : NaN;
    const elapsed = Number.isNaN(since) ? '' : ` · ${formatElapsed(nowMs - since)}`;
    return `${member.lastTool ? `using ${member.lastTool}` : 'working'}${elapsed}`;
  }
  if (member.status === 'starting') return 'starting its process';
  if (member.status === 'queued') return member.queuePosition !== null ? `waiting for a slot (#${member.queuePosition})` : 'waiting for a slot';
  if (member.lastResult) return `last result: ${member.lastResult}`;
  return member.lastTool ? `last tool: ${member.lastTool}` : 'no activity yet';
}

/** Spend against the budget: the share (0–1, capped) and whether it is past the host's 80 % warning. */
export function budgetUse(member: Pick<TeamMember, 'totalCost' | 'budgetUsd' | 'budgetWarning'>): { share: number; warn: boolean } | null {
  if (member.budgetUsd === null || member.budgetUsd <= 0) return null;
  const share = Math.min(1, member.totalCost / member.budgetUsd);
  return { share, warn: member.budgetWarning || share >= 0.8 };
}

/** "3 responses · 2 tools · 4 hooks · 1 thinking". */
export function countersLine(counters: TeamCounters): string {
  const part = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  return [
    part(counters.responses, 'response', 'responses'),
    part(counters.tools, 'tool', 'tools'),
    part(counters.hooks, 'hook', 'hooks'),
    `${counters.thinking} thinking`,
  ].join(' · ');
}

/** A cost with every digit that matters, for the tooltip ("$0.0123456", "$1.50"): the card rounds. */
export function exactDollars(value: number): string {
  const [whole, fraction = ''] = value.toFixed(10).split('.');
  return `$${whole}.${fraction.replace(/0+$/, '').padEnd(2, '0')}`;
}
