import type { AgentLog, ChatItem, HostEvent } from '../types';

/**
 * The agent view's own state: the focused agent's log, loaded from
 * `GET /agents/{id}/logs` when it opens and kept current by its `agent_log`
 * events. Only the focused agent's log is held: a team's whole history would
 * be far more than a page needs. Pure, like the other reducers.
 */
export interface AgentView {
  agentId: string | null;
  /** Ordered by `seq`, each once. */
  logs: readonly AgentLog[];
  loading: boolean;
  error: string | null;
}

export const closedAgentView: AgentView = { agentId: null, logs: [], loading: false, error: null };

export function agentViewOpened(view: AgentView, agentId: string | null): AgentView {
  if (view.agentId === agentId) return view;
  return agentId === null ? closedAgentView : { agentId, logs: [], loading: true, error: null };
}

/** A page from the host (or live rows) merged in by `seq`; a page for another agent is ignored. */
export function agentLogsMerged(view: AgentView, agentId: string, logs: readonly AgentLog[], done: boolean): AgentView {
  if (view.agentId !== agentId) return view;
  const fresh = logs.filter((log) => !view.logs.some((known) => known.seq === log.seq));
  const loading = done ? false : view.loading;
  if (fresh.length === 0 && loading === view.loading) return view;
  const merged = fresh.length === 0 ? view.logs : [...view.logs, ...fresh].sort((a, b) => a.seq - b.seq);
  return { ...view, logs: merged, loading };
}

export function agentLogsFailed(view: AgentView, agentId: string, message: string): AgentView {
  return view.agentId === agentId ? { ...view, loading: false, error: message } : view;
}

export function applyAgentViewEvents(view: AgentView, events: readonly HostEvent[]): AgentView {
  if (view.agentId === null) return view;
  const logs: AgentLog[] = [];
  for (const event of events) if (event.type === 'agent_log' && event.agent_id === view.agentId) logs.push(event.log);
  return logs.length === 0 ? view : agentLogsMerged(view, view.agentId, logs, false);
}

// ---- the timeline the view shows ----

export type TimelineEntry =
  | { kind: 'command'; key: string; at: string; from: string; text: string }
  | { kind: 'result'; key: string; at: string; text: string }
  | { kind: 'reply'; key: string; at: string; text: string; nested: boolean }
  | { kind: 'thinking'; key: string; at: string; text: string }
  | { kind: 'tool'; key: string; at: string; name: string; input: unknown; output: string | null; isError: boolean }
  | { kind: 'note'; key: string; at: string; text: string };

/**
 * Its commands and results (chat rows that name it) and its log, in time
 * order. A tool's result joins its call; hooks are counted on the card, not
 * listed (each tool has two).
 */
export function agentTimeline(agentId: string, logs: readonly AgentLog[], chat: Iterable<ChatItem>): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  for (const item of chat) {
    if (item.kind !== 'message' || item.agentId !== agentId || item.state !== 'final') continue;
    if (item.agentExchange === 'command') {
      entries.push({ kind: 'command', key: item.key, at: item.createdAt, from: item.role === 'user' ? 'You' : 'Orchestrator', text: item.text });
    } else if (item.agentExchange === 'result') {
      entries.push({ kind: 'result', key: item.key, at: item.createdAt, text: item.text });
    }
  }
  const tools = new Map<string, Extract<TimelineEntry, { kind: 'tool' }>>();
  for (const log of logs) {
    const key = `log:${log.seq}`;
    if (log.event_category === 'hook') continue;
    switch (log.event_type) {
      case 'text':
        entries.push({ kind: 'reply', key, at: log.timestamp, text: log.content ?? '', nested: log.payload['parent_tool_use_id'] != null });
        break;
      case 'thinking':
        entries.push({ kind: 'thinking', key, at: log.timestamp, text: log.content ?? '' });
        break;
      case 'tool_use': {
        const entry = { kind: 'tool' as const, key, at: log.timestamp, name: log.content ?? 'tool', input: log.payload['input'] ?? null, output: null, isError: false };
        entries.push(entry);
        const id = stringField(log.payload, 'id') ?? stringField(log.payload, 'tool_use_id');
        if (id) tools.set(id, entry);
        break;
      }
      case 'tool_result': {
        const call = tools.get(stringField(log.payload, 'tool_use_id') ?? '');
        const output = log.content ?? '';
        if (call) {
          call.output = output;
          call.isError = log.payload['is_error'] === true;
        } else {
          entries.push({ kind: 'tool', key, at: log.timestamp, name: 'tool result', input: null, output, isError: log.payload['is_error'] === true });
        }
        break;
      }
      case 'retry':
        entries.push({ kind: 'note', key, at: log.timestamp, text: `retrying: ${log.content ?? 'the API failed'}` });
        break;
      default:
        break;
    }
  }
  // A stable sort: rows with the same time keep command → log order.
  return entries.map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.at.localeCompare(b.entry.at) || a.index - b.index)
    .map(({ entry }) => entry);
}

const pathKeys = ['file_path', 'notebook_path', 'path'];

/** Files its tools named (Read, Write, Edit, …), each once, in the order first touched. */
export function filesTouched(logs: readonly AgentLog[]): string[] {
  const files: string[] = [];
  for (const log of logs) {
    if (log.event_type !== 'tool_use' || log.event_category === 'hook') continue;
    const input = log.payload['input'];
    if (typeof input !== 'object' || input === null) continue;
    for (const key of pathKeys) {
      const value = (input as Record<string, unknown>)[key];
      if (typeof value === 'string' && value.length > 0 && !files.includes(value)) files.push(value);
    }
  }
  return files;
}

function stringField(payload: Record<string, unknown>, key: string): string | null {
  const value = payload[key];
  return typeof value === 'string' && value.length > 0 ? value : null;
}
