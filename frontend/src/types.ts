// The host's records and wire messages, as documented in docs/protocol.md
// ("Records", "Wire messages") and docs/websocket-transport.md, plus the
// view model the chat renders from.

export type Party = 'user' | 'orchestrator' | 'agent';

/** A row of `orchestrator_chat`, as `/load_chat` and `orchestrator_chat` events carry it. */
export interface ChatRow {
  id: string;
  orchestrator_agent_id: string;
  sender_type: Party;
  receiver_type: Party;
  message: string;
  agent_id: string | null;
  metadata: Record<string, unknown> | null;
  created_at: string;
  updated_at?: string;
  timestamp?: string;
}

export interface Orchestrator {
  id: string;
  session_id: string | null;
  status: string;
  working_dir?: string | null;
  input_tokens: number;
  output_tokens: number;
  total_cost: number;
  updated_at?: string;
}

// ---- HTTP (docs/websocket-transport.md, "HTTP") ----

export interface LoadChatResponse {
  status: 'success';
  messages: ChatRow[];
  turn_count: number;
  has_more: boolean;
  orchestrator?: Orchestrator;
  /** The thinking, tool-use and tool-result blocks of the page's turns, as they were shown live (oldest first). */
  blocks?: HistoryBlock[];
}

export interface SendChatResponse {
  status: 'accepted';
  message_id: string;
  turn_id: string;
  queued: boolean;
}

export interface GetOrchestratorResponse {
  status: 'success';
  orchestrator: Orchestrator;
  /** `[host] max_message_bytes`; a longer message is refused by the host with `message_too_large`, which the failed bubble shows. */
  max_message_bytes: number;
}

export interface InterruptResponse {
  status: 'success';
  interrupted: boolean;
}

export interface HealthResponse {
  status: string;
  uptime_s?: number;
  host_version?: string;
}

// ---- WebSocket: host events, each with the orchestrator's `seq` ----

interface Sequenced {
  seq: number;
  timestamp?: string;
}

export interface OrchestratorChatEvent extends Sequenced {
  type: 'orchestrator_chat';
  message: ChatRow;
}

export interface ChatStreamEvent extends Sequenced {
  type: 'chat_stream';
  orchestrator_agent_id: string;
  message_id: string;
  chunk: string;
  /** The turn's reply is over: sent once per turn, after its last block. */
  is_complete: boolean;
  /** This block's stream is over (its `orchestrator_chat` row follows or came). */
  block_complete?: boolean;
  /** The streamed draft never became final (the backend retried the block). */
  withdrawn?: boolean;
}

export interface ChatTypingEvent extends Sequenced {
  type: 'chat_typing';
  orchestrator_agent_id: string;
  is_typing: boolean;
}

export interface ThinkingBlockEvent extends Sequenced {
  type: 'thinking_block';
  data: { id: string; orchestrator_agent_id: string; turn_id?: string; thinking: string; timestamp: string };
}

export interface ToolUseBlockEvent extends Sequenced {
  type: 'tool_use_block';
  data: {
    id: string;
    orchestrator_agent_id: string;
    turn_id?: string;
    tool_name: string;
    tool_input: unknown;
    tool_use_id: string | null;
    timestamp: string;
  };
}

export interface ToolResultBlockEvent extends Sequenced {
  type: 'tool_result_block';
  data: { orchestrator_agent_id: string; turn_id?: string; tool_use_id: string | null; content: unknown; is_error: boolean; timestamp: string };
}

export interface OrchestratorUpdatedEvent extends Sequenced {
  type: 'orchestrator_updated';
  orchestrator: Partial<Orchestrator> & { id: string };
}

export interface TurnQueuedEvent extends Sequenced {
  type: 'turn_queued';
  orchestrator_agent_id: string;
  turn_id: string;
  position: number;
}

export interface TurnCompleteEvent extends Sequenced {
  type: 'turn_complete';
  orchestrator_agent_id: string;
  turn_id: string;
  status: string;
}

export interface TurnErrorEvent extends Sequenced {
  type: 'error';
  orchestrator_agent_id: string;
  turn_id?: string | null;
  message: string;
  error_class: string;
  retryable: boolean;
}

export interface BackendRetryEvent extends Sequenced {
  type: 'backend_retry';
  orchestrator_agent_id: string;
  turn_id?: string;
  detail: { attempt?: number; max_retries?: number; delay_ms?: number; error?: string };
}

/** Any other sequenced event: counted and logged, never fatal (new kinds land before the UI knows them). */
export interface UnknownHostEvent extends Sequenced {
  type: string;
  [field: string]: unknown;
}

/** A block a history page brings back: the wire message without its `seq`. */
export type HistoryBlock =
  | Pick<ThinkingBlockEvent, 'type' | 'data'>
  | Pick<ToolUseBlockEvent, 'type' | 'data'>
  | Pick<ToolResultBlockEvent, 'type' | 'data'>;

// ---- The team (docs/agents.md) ----

export type AgentStatus =
  | 'starting' | 'idle' | 'running' | 'queued' | 'needs_input' | 'interrupted' | 'failed' | 'stopped' | 'archived';

/** A row of `agents`. */
export interface Agent {
  id: string;
  orchestrator_agent_id: string;
  name: string;
  model: string;
  system_prompt?: string | null;
  working_dir?: string | null;
  status: AgentStatus;
  status_reason?: string | null;
  session_id: string | null;
  input_tokens: number;
  output_tokens: number;
  total_cost: number;
  archived: boolean;
  metadata?: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

/** A row of `agent_logs`, with the agent's gap-free `seq`. */
export interface AgentLog {
  id: string;
  agent_id: string;
  seq: number;
  turn_id?: string | null;
  event_category: 'hook' | 'response' | 'adw_step';
  event_type: string;
  content?: string | null;
  payload: Record<string, unknown>;
  session_id?: string | null;
  timestamp: string;
}

/**
 * An agent as `GET /list_agents`, `GET /agents/{id}` and `POST /agents` show it
 * (docs/agents.md): the saved record plus what only the host knows live.
 */
export interface AgentSummary {
  id: string;
  name: string;
  model: string;
  status: AgentStatus;
  reason: string | null;
  session_id: string | null;
  input_tokens: number;
  output_tokens: number;
  total_cost: number;
  budget_usd: number | null;
  created_at?: string;
  /** The command it runs now (shortened). */
  running_command?: { turn_id: string; command: string } | null;
  /** The last command it was given (shortened), running or not. */
  last_command?: string | null;
  waiting_commands?: number;
  queue_position?: number | null;
  running_cost_estimate?: number | null;
  last_result?: string | null;
  commands_done?: number;
  /** Its `agent_logs` rows counted by kind, over its whole life. */
  counts?: { responses: number; tools: number; hooks: number; thinking: number };
  /** The highest `seq` of its log. */
  last_seq?: number;
  /** The input its last API call sent: how full its context is (null until one reported usage). */
  context_tokens?: number | null;
}

export interface ListAgentsResponse {
  status: 'success';
  agents: AgentSummary[];
  max_running: number;
}

export interface AgentLogsResponse {
  status: 'success';
  logs: AgentLog[];
  has_more: boolean;
  last_seq: number;
}

export interface CommandAgentResponse {
  status: 'accepted';
  agent_id: string;
  turn_id: string;
  position: number;
  queued: boolean;
}

export interface InterruptAgentResponse {
  status: 'success';
  interrupted: boolean;
}

export interface DeleteAgentResponse {
  status: 'success';
  deleted: boolean;
  agent: AgentSummary;
}

export interface AgentCreatedEvent extends Sequenced {
  type: 'agent_created';
  orchestrator_agent_id: string;
  agent: Agent;
}

export interface AgentStatusChangedEvent extends Sequenced {
  type: 'agent_status_changed';
  orchestrator_agent_id: string;
  agent_id: string;
  name: string;
  status: AgentStatus;
  reason: string | null;
  previous: string;
  turn_id?: string | null;
  timestamp: string;
}

export interface AgentLogEvent extends Sequenced {
  type: 'agent_log';
  orchestrator_agent_id: string;
  agent_id: string;
  log: AgentLog;
}

export interface AgentUpdatedEvent extends Sequenced {
  type: 'agent_updated';
  orchestrator_agent_id: string;
  agent: {
    id: string;
    name: string;
    session_id?: string | null;
    input_tokens: number;
    output_tokens: number;
    total_cost: number;
    budget_usd: number | null;
    budget_used: number | null;
    /** The input its last API call sent: how full its context is. */
    context_tokens?: number | null;
    updated_at: string;
  };
  warning?: 'budget_80';
}

export interface AgentDeletedEvent extends Sequenced {
  type: 'agent_deleted';
  orchestrator_agent_id: string;
  agent_id: string;
  name: string;
  timestamp: string;
}

export interface AgentQueueEvent extends Sequenced {
  type: 'agent_queue';
  orchestrator_agent_id: string;
  queue: { agent_id: string; name: string; turn_id: string; position: number }[];
  running: number;
  max_running: number;
}

// ---- Permissions (docs/permissions.md) ----

export type PermissionStatus = 'pending' | 'allowed' | 'denied' | 'expired' | 'withdrawn';

/** A row of `permission_requests`: an inbox item while pending, an audit entry once decided. */
export interface PermissionRequest {
  id: string;
  orchestrator_agent_id: string;
  /** The asking agent; null for the orchestrator. */
  agent_id: string | null;
  session_id: string;
  tool_name: string;
  input: Record<string, unknown>;
  suggestions: unknown[];
  status: PermissionStatus;
  decision: { scope?: 'once' | 'agent' | 'template'; message?: string; updated_input?: Record<string, unknown>; rule?: string; grant?: string; reason?: string };
  decided_by: 'person' | 'rule' | 'timeout' | 'host' | null;
  created_at: string;
  expires_at: string | null;
  decided_at: string | null;
}

/** `GET /inbox` and `GET /permissions/log`: a page, newest first. */
export interface PermissionsResponse {
  requests: PermissionRequest[];
  has_more: boolean;
}

/** A person's answer (`POST /inbox/{id}`, and each item of `POST /inbox/batch` with its `id`). */
export interface PermissionAnswer {
  decision: 'allow' | 'deny';
  scope?: 'once' | 'agent' | 'template';
  message?: string;
  updated_input?: Record<string, unknown>;
}

export interface AnswerPermissionResponse {
  request: PermissionRequest;
}

export interface AnswerPermissionsResponse {
  results: Array<
    | { id: string; status: 'success'; request: PermissionRequest }
    | { id: string; status: 'error'; error: { code: string; message: string } }
  >;
}

export interface PermissionRequestEvent extends Sequenced {
  type: 'permission_request';
  orchestrator_agent_id: string;
  request: PermissionRequest;
  agent_name: string | null;
}

export interface PermissionResolvedEvent extends Sequenced {
  type: 'permission_resolved';
  orchestrator_agent_id: string;
  request: PermissionRequest;
  agent_name: string | null;
}

export type AgentEvent =
  | AgentCreatedEvent
  | AgentStatusChangedEvent
  | AgentLogEvent
  | AgentUpdatedEvent
  | AgentDeletedEvent
  | AgentQueueEvent;

export type HostEvent =
  | OrchestratorChatEvent
  | ChatStreamEvent
  | ChatTypingEvent
  | ThinkingBlockEvent
  | ToolUseBlockEvent
  | ToolResultBlockEvent
  | OrchestratorUpdatedEvent
  | TurnQueuedEvent
  | TurnCompleteEvent
  | TurnErrorEvent
  | BackendRetryEvent
  | AgentEvent
  | PermissionRequestEvent
  | PermissionResolvedEvent;

// ---- WebSocket: frames the transport sends one client (no `seq`) ----

export interface ConnectionEstablishedFrame {
  type: 'connection_established';
  client_id: string;
  heartbeat_s?: number;
}

export interface ResumedFrame {
  type: 'resumed';
  orchestrator_agent_id: string;
  replayed: number;
  last_seq: number;
}

export interface ReloadRequiredFrame {
  type: 'reload_required';
  orchestrator_agent_id: string;
  last_seq: number;
  message: string;
}

/** Replies to a request the client tagged with `request_id` (the console uses HTTP for these; listed so the type set matches docs/schemas). */
export interface AckFrame {
  type: 'ack';
  in_reply_to: string;
  request_id?: string | number;
  [field: string]: unknown;
}

export interface PongFrame {
  type: 'pong';
  in_reply_to: string;
  request_id?: string | number;
  timestamp: string;
}

export interface ChatHistoryFrame {
  type: 'chat_history';
  in_reply_to: string;
  request_id?: string | number;
  messages: ChatRow[];
  turn_count: number;
  has_more: boolean;
  orchestrator: Orchestrator;
}

/** A refused client request (`error` without `seq`); host turn errors carry `seq`. */
export interface RequestErrorFrame {
  type: 'error';
  code: string;
  message: string;
  in_reply_to?: string;
}

// ---- The chat's view model ----

export type MessageState =
  /** Sent from this page, waiting for the host to accept it. */
  | 'sending'
  /** The host refused it or could not be reached; the bubble offers a retry. */
  | 'failed'
  /** Tokens are arriving. */
  | 'streaming'
  /** The authoritative row. */
  | 'final';

export interface MessageItem {
  kind: 'message';
  key: string;
  /** The row id once known (for a reply: from its first chunk). */
  id: string | null;
  role: Party;
  text: string;
  state: MessageState;
  createdAt: string;
  turnId: string | null;
  /** Saved after an interrupt or failure: only what had streamed. */
  partial: boolean;
  /** Waiting behind another turn. */
  queued: boolean;
  error: string | null;
  /** Who it is between when an agent is a party ("You → tester", "Orchestrator → tester", "tester"); else the role's name. */
  author?: string;
  /** The agent a command goes to or a result comes from. */
  agentId?: string;
  agentExchange?: 'command' | 'result';
}

export interface ThinkingItem {
  kind: 'thinking';
  key: string;
  text: string;
  createdAt: string;
  turnId: string | null;
}

export interface ToolItem {
  kind: 'tool';
  key: string;
  toolName: string;
  toolInput: unknown;
  toolUseId: string | null;
  createdAt: string;
  turnId: string | null;
  result: { content: unknown; isError: boolean } | null;
}

export interface NoticeItem {
  kind: 'notice';
  key: string;
  level: 'error' | 'info';
  title: string;
  message: string;
  createdAt: string;
  turnId: string | null;
  /** The message a retry sends again, when retrying makes sense. */
  retryText: string | null;
}

export type ChatItem = MessageItem | ThinkingItem | ToolItem | NoticeItem;

export type ConnectionPhase =
  /** Finding the orchestrator and loading history. */
  | 'loading'
  | 'connecting'
  /** Connected; catching up on missed events. */
  | 'syncing'
  | 'open'
  /** Waiting `retryInMs` before the next attempt. */
  | 'waiting';

export interface ConnectionState {
  phase: ConnectionPhase;
  attempt: number;
  retryAt: number | null;
  /** Why the last attempt failed, in words for the user. */
  detail: string | null;
}
