import type { AgentLog, ConnectionState, HostEvent, ListAgentsResponse, LoadChatResponse, Orchestrator, PermissionRequest, SendChatResponse } from '../types';
import { type Announcement, emptyTimeline, type Timeline, TimelineEditor } from './chatTimeline';
import { appendConnectionNote, appendHostEvents, emptyEventLog, type EventLog } from './eventLog';
import { agentLogsFailed, agentLogsMerged, agentViewOpened, applyAgentViewEvents, type AgentView, closedAgentView } from './agentView';
import {
  allPermissionsSelected,
  applyPermissionEvents,
  emptyPermissionInbox,
  type PermissionInbox,
  permissionFailed,
  permissionResolved,
  permissionsAnswering,
  permissionSelected,
  permissionsLoaded,
} from './permissions';
import { applyTeamEvents, emptyTeam, type Team, teamLoaded } from './team';

/** Everything the page shows. Changed only by `orchestratorReducer`. */
export interface OrchestratorState {
  orchestrator: Orchestrator | null;
  chat: Timeline;
  history: {
    loaded: boolean;
    /** Older rows exist on the host than the page holds. */
    hasMore: boolean;
    loadingOlder: boolean;
    /** The host's row count when history was last loaded (its `turn_count`). */
    turnCount: number;
  };
  connection: ConnectionState;
  /** Why the page cannot start (the host is unreachable), shown over the columns. */
  startupError: string | null;
  stats: {
    /** WebSocket frames received since the page opened (not reset by reconnects). */
    wsFrames: number;
    reconnects: number;
    duplicates: number;
  };
  events: EventLog;
  /** The orchestrator's agents (stores/team.ts). */
  team: Team;
  /** The agent the person clicked: the Agents column opens its view and the stream shows only its events; null for everything. */
  focusedAgentId: string | null;
  /** The focused agent's log (stores/agentView.ts). */
  agentView: AgentView;
  /** Tool calls waiting for the person's permission (stores/permissions.ts). */
  permissions: PermissionInbox;
  /** The newest thing to announce to screen readers; `id` changes each time. */
  announcement: (Announcement & { id: number }) | null;
  /** A short message near the input ("Nothing is running"), cleared by the next action. */
  toast: string | null;
  stopping: boolean;
}

export const initialState: OrchestratorState = {
  orchestrator: null,
  chat: emptyTimeline,
  history: { loaded: false, hasMore: false, loadingOlder: false, turnCount: 0 },
  connection: { phase: 'loading', attempt: 0, retryAt: null, detail: null },
  startupError: null,
  stats: { wsFrames: 0, reconnects: 0, duplicates: 0 },
  events: emptyEventLog,
  team: emptyTeam,
  focusedAgentId: null,
  agentView: closedAgentView,
  permissions: emptyPermissionInbox,
  announcement: null,
  toast: null,
  stopping: false,
};

export type Action =
  | { type: 'orchestratorLoaded'; orchestrator: Orchestrator }
  | { type: 'startupFailed'; message: string }
  | { type: 'historyLoaded'; response: LoadChatResponse; mode: 'replace' | 'prepend' }
  | { type: 'olderLoading'; loading: boolean }
  | { type: 'teamLoaded'; response: ListAgentsResponse }
  | { type: 'agentFocused'; agentId: string | null }
  | { type: 'agentLogsLoaded'; agentId: string; logs: AgentLog[]; done: boolean }
  | { type: 'agentLogsFailed'; agentId: string; message: string }
  | { type: 'hostEvents'; events: HostEvent[]; now: string }
  | { type: 'permissionsLoaded'; requests: PermissionRequest[]; recent: PermissionRequest[] }
  | { type: 'permissionSelected'; id: string; selected: boolean }
  | { type: 'allPermissionsSelected'; selected: boolean }
  | { type: 'permissionsAnswering'; ids: string[]; answering: boolean }
  | { type: 'permissionAnswered'; request: PermissionRequest }
  | { type: 'permissionFailed'; id: string; message: string }
  | { type: 'framesReceived'; count: number; duplicates: number }
  | { type: 'connectionChanged'; connection: ConnectionState; note: string | null; now: string }
  | { type: 'reconnected' }
  | { type: 'liveStateLost' }
  | { type: 'sendStarted'; key: string; text: string; now: string }
  | { type: 'sendAccepted'; key: string; response: SendChatResponse }
  | { type: 'sendFailed'; key: string; message: string }
  | { type: 'retryStarted'; key: string; now: string }
  | { type: 'itemDismissed'; key: string }
  | { type: 'stopRequested' }
  | { type: 'stopFinished'; toast: string | null }
  | { type: 'toast'; text: string | null };

function editChat(state: OrchestratorState, edit: (editor: TimelineEditor) => void): OrchestratorState {
  const editor = new TimelineEditor(state.chat);
  edit(editor);
  const chat = editor.finish();
  const last = editor.announcements[editor.announcements.length - 1];
  const announcement = last ? { ...last, id: (state.announcement?.id ?? 0) + 1 } : state.announcement;
  if (chat === state.chat && announcement === state.announcement) return state;
  return { ...state, chat, announcement };
}

export function orchestratorReducer(state: OrchestratorState, action: Action): OrchestratorState {
  switch (action.type) {
    case 'orchestratorLoaded':
      return { ...state, orchestrator: action.orchestrator, startupError: null };
    case 'startupFailed':
      return { ...state, startupError: action.message };
    case 'historyLoaded': {
      const next = editChat(state, (editor) => editor.mergeHistory(action.response.messages, action.mode, action.response.blocks ?? []));
      const history = action.mode === 'replace'
        ? { loaded: true, hasMore: action.response.has_more, loadingOlder: false, turnCount: action.response.turn_count }
        : { ...state.history, hasMore: action.response.has_more, loadingOlder: false };
      return {
        ...next,
        history,
        orchestrator: action.mode === 'replace' && action.response.orchestrator ? action.response.orchestrator : next.orchestrator,
      };
    }
    case 'olderLoading':
      return { ...state, history: { ...state.history, loadingOlder: action.loading } };
    case 'hostEvents': {
      if (action.events.length === 0) return state;
      const next = editChat(state, (editor) => {
        for (const event of action.events) editor.apply(event, action.now);
      });
      let orchestrator = next.orchestrator;
      for (const event of action.events) {
        // Cumulative totals: applying the newest is idempotent, and it applies even before
        // the orchestrator loaded (the original dropped these while it was null).
        if (event.type === 'orchestrator_updated') orchestrator = { ...(orchestrator ?? emptyOrchestrator(event.orchestrator.id)), ...event.orchestrator };
      }
      return {
        ...next,
        orchestrator,
        events: appendHostEvents(state.events, action.events, action.now),
        team: applyTeamEvents(state.team, action.events),
        permissions: applyPermissionEvents(state.permissions, action.events),
        focusedAgentId: focusAfter(state.focusedAgentId, action.events),
        agentView: focusAfter(state.focusedAgentId, action.events) === null ? closedAgentView : applyAgentViewEvents(state.agentView, action.events),
      };
    }
    case 'permissionsLoaded':
      return { ...state, permissions: permissionsLoaded(state.permissions, action.requests, action.recent) };
    case 'permissionSelected':
      return { ...state, permissions: permissionSelected(state.permissions, action.id, action.selected) };
    case 'allPermissionsSelected':
      return { ...state, permissions: allPermissionsSelected(state.permissions, action.selected) };
    case 'permissionsAnswering':
      return { ...state, permissions: permissionsAnswering(state.permissions, action.ids, action.answering) };
    case 'permissionAnswered':
      return { ...state, permissions: permissionResolved(state.permissions, action.request) };
    case 'permissionFailed':
      return { ...state, permissions: permissionFailed(state.permissions, action.id, action.message) };
    case 'teamLoaded':
      return { ...state, team: teamLoaded(state.team, action.response) };
    case 'agentFocused':
      return state.focusedAgentId === action.agentId
        ? state
        : { ...state, focusedAgentId: action.agentId, agentView: agentViewOpened(state.agentView, action.agentId) };
    case 'agentLogsLoaded':
      return { ...state, agentView: agentLogsMerged(state.agentView, action.agentId, action.logs, action.done) };
    case 'agentLogsFailed':
      return { ...state, agentView: agentLogsFailed(state.agentView, action.agentId, action.message) };
    case 'framesReceived':
      return {
        ...state,
        stats: { ...state.stats, wsFrames: state.stats.wsFrames + action.count, duplicates: state.stats.duplicates + action.duplicates },
      };
    case 'connectionChanged':
      return {
        ...state,
        connection: action.connection,
        events: action.note ? appendConnectionNote(state.events, action.note, action.now) : state.events,
      };
    case 'reconnected':
      return { ...state, stats: { ...state.stats, reconnects: state.stats.reconnects + 1 } };
    case 'liveStateLost':
      return editChat(state, (editor) => editor.forgetLiveState());
    case 'sendStarted':
      return { ...editChat(state, (editor) => editor.addLocalSend(action.key, action.text, action.now)), toast: null };
    case 'sendAccepted':
      return editChat(state, (editor) =>
        editor.sendAccepted(action.key, action.response.message_id, action.response.turn_id, action.response.queued));
    case 'sendFailed': {
      const next = editChat(state, (editor) => editor.sendFailed(action.key, action.message));
      return { ...next, announcement: { text: `Not sent. ${action.message}`, urgent: true, id: (next.announcement?.id ?? 0) + 1 } };
    }
    case 'retryStarted':
      return { ...editChat(state, (editor) => editor.retryStarted(action.key, action.now)), toast: null };
    case 'itemDismissed':
      return editChat(state, (editor) => editor.dismiss(action.key));
    case 'stopRequested':
      return { ...state, stopping: true, toast: null };
    case 'stopFinished':
      return { ...state, stopping: false, toast: action.toast };
    case 'toast':
      return state.toast === action.text ? state : { ...state, toast: action.text };
    default:
      return state;
  }
}

/** A deleted agent cannot stay focused (its view and the stream's filter would show nothing). */
function focusAfter(focused: string | null, events: readonly HostEvent[]): string | null {
  if (focused === null) return null;
  return events.some((event) => event.type === 'agent_deleted' && event.agent_id === focused) ? null : focused;
}

function emptyOrchestrator(id: string): Orchestrator {
  return { id, session_id: null, status: 'idle', input_tokens: 0, output_tokens: 0, total_cost: 0 };
}

// ---- selectors ----

/** Rows in the conversation: the host's count at the last load plus the rows seen since. */
export function messageCount(state: OrchestratorState): number {
  return state.history.turnCount + state.chat.rowsSinceHistory;
}

/** Turns (questions asked) that the page knows of; "+" when older history is not loaded. */
export function turnCount(state: OrchestratorState): { count: number; more: boolean } {
  let count = 0;
  for (const item of state.chat.items.values()) if (item.kind === 'message' && item.role === 'user' && item.state === 'final') count += 1;
  return { count, more: state.history.hasMore };
}

/** The orchestrator is answering (or about to): the Stop button shows. */
export function isWorking(state: OrchestratorState): boolean {
  return state.chat.typing || state.chat.activeTurn !== null;
}
