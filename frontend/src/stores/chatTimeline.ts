import type {
  ChatItem,
  ChatRow,
  ChatStreamEvent,
  HistoryBlock,
  HostEvent,
  MessageItem,
  NoticeItem,
  Party,
  ThinkingItem,
  ToolItem,
  ToolResultBlockEvent,
} from '../types';
import { describeTurnError } from '../services/errorMessages';

/**
 * The chat as the page shows it: history rows, replies streaming in, thinking
 * and tool blocks, and notices, in one order. Pure data; `TimelineEditor`
 * changes it with copy-on-write so views can compare by identity.
 *
 * Ordering rule: an item of a turn goes right after the last item of that turn
 * seen so far (the turn's "tail"). Live, that is the end of the list; when
 * events are replayed over a freshly loaded history, the replayed rows match
 * history rows in place, so a thinking block lands between the rows it was
 * published between. A turn that waited in the queue still shows its reply
 * right under its own question. History is grouped by turn the same way, so a
 * refresh shows exactly what was shown live.
 */
export interface Timeline {
  readonly order: readonly string[];
  readonly items: ReadonlyMap<string, ChatItem>;
  /** Row id → item key, for messages sent from this page (keyed before their row existed). */
  readonly alias: ReadonlyMap<string, string>;
  readonly turnTail: ReadonlyMap<string, string>;
  /** Turn id → the key of its user message. */
  readonly turnUser: ReadonlyMap<string, string>;
  /** tool_use_id → the key of its tool bubble. */
  readonly tools: ReadonlyMap<string, string>;
  /** Turns whose message arrived and that have not started, in arrival (= run) order. */
  readonly pendingTurns: readonly string[];
  /** The running turn, when known: chat_stream chunks carry no turn id. */
  readonly activeTurn: string | null;
  readonly typing: boolean;
  /** Reply ids whose draft the backend withdrew; late chunks for them are ignored. */
  readonly withdrawn: ReadonlySet<string>;
  /** Ids of every row shown. */
  readonly rowIds: ReadonlySet<string>;
  /** Rows shown that the last history load did not include (for the message count). */
  readonly rowsSinceHistory: number;
  /** Replies whose streamed text differed from their final row: a chunk was lost or doubled. */
  readonly streamMismatches: number;
}

export const emptyTimeline: Timeline = {
  order: [],
  items: new Map(),
  alias: new Map(),
  turnTail: new Map(),
  turnUser: new Map(),
  tools: new Map(),
  pendingTurns: [],
  activeTurn: null,
  typing: false,
  withdrawn: new Set(),
  rowIds: new Set(),
  rowsSinceHistory: 0,
  streamMismatches: 0,
};

/** Something worth telling a screen reader user. */
export interface Announcement {
  text: string;
  urgent: boolean;
}

export function turnIdOf(metadata: Record<string, unknown> | null | undefined): string | null {
  const value = metadata?.['turn_id'];
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function roleOf(sender: Party | string): Party {
  return sender === 'user' || sender === 'agent' ? sender : 'orchestrator';
}

/** A command to an agent names both sides; an agent's answer names the agent (docs/agents.md). */
function authorOf(row: ChatRow): string | undefined {
  const name = typeof row.metadata?.['agent_name'] === 'string' ? (row.metadata['agent_name'] as string) : 'agent';
  if (row.receiver_type === 'agent') return `${row.sender_type === 'user' ? 'You' : 'Orchestrator'} → ${name}`;
  if (row.sender_type === 'agent') return name;
  return undefined;
}

/** Which agent a row is an exchange with (the agent view lists them; the chat draws them compact). */
function agentExchangeOf(row: ChatRow): Pick<MessageItem, 'agentId' | 'agentExchange'> {
  if (!row.agent_id) return {};
  if (row.receiver_type === 'agent') return { agentId: row.agent_id, agentExchange: 'command' };
  if (row.sender_type === 'agent') return { agentId: row.agent_id, agentExchange: 'result' };
  return {};
}

function messageFromRow(row: ChatRow, key: string): MessageItem {
  return {
    ...agentExchangeOf(row),
    author: authorOf(row),
    kind: 'message',
    key,
    id: row.id,
    role: roleOf(row.sender_type),
    text: row.message,
    state: 'final',
    createdAt: row.created_at ?? row.timestamp ?? '',
    turnId: turnIdOf(row.metadata),
    partial: row.metadata?.['partial'] === true,
    queued: false,
    error: null,
  };
}

/**
 * A row the host writes for a turn that a host stop cut off (docs/protocol.md,
 * "Records"): shown as a notice, with a retry, like a turn that failed live.
 */
export function isCutOffMarker(row: ChatRow): boolean {
  return row.metadata?.['type'] === 'turn_interrupted';
}

function noticeFromMarker(row: ChatRow, key: string, question: string | null): NoticeItem {
  const errorClass = typeof row.metadata?.['error_class'] === 'string' ? String(row.metadata['error_class']) : 'host_stopped';
  const described = describeTurnError(errorClass, row.message, true);
  return {
    kind: 'notice', key, level: described.level, title: described.title, message: described.message,
    createdAt: row.created_at ?? row.timestamp ?? '', turnId: turnIdOf(row.metadata),
    retryText: described.offerRetry ? question : null,
  };
}

/** Groups rows by turn, keeping the order turns first appear in: a queued turn's reply follows its own question. */
export function groupByTurn(rows: readonly ChatRow[]): ChatRow[] {
  const groups = new Map<string, ChatRow[]>();
  for (const row of rows) {
    const group = turnIdOf(row.metadata) ?? `row:${row.id}`;
    const list = groups.get(group);
    if (list) list.push(row);
    else groups.set(group, [row]);
  }
  return [...groups.values()].flat();
}

/**
 * Changes one timeline into the next. Each structure is copied the first time
 * it is written, so a batch of hundreds of events costs one copy, and
 * untouched structures stay identical.
 */
export class TimelineEditor {
  private order: string[] | null = null;
  private items: Map<string, ChatItem> | null = null;
  private alias: Map<string, string> | null = null;
  private turnTail: Map<string, string> | null = null;
  private turnUser: Map<string, string> | null = null;
  private tools: Map<string, string> | null = null;
  private withdrawn: Set<string> | null = null;
  private rowIds: Set<string> | null = null;
  private pendingTurns: string[] | null = null;
  private activeTurn: string | null;
  private typing: boolean;
  private rowsSinceHistory: number;
  private streamMismatches: number;
  readonly announcements: Announcement[] = [];

  constructor(private readonly base: Timeline) {
    this.activeTurn = base.activeTurn;
    this.typing = base.typing;
    this.rowsSinceHistory = base.rowsSinceHistory;
    this.streamMismatches = base.streamMismatches;
  }

  // ---- copy-on-write access ----

  private get orderW(): string[] {
    return (this.order ??= [...this.base.order]);
  }
  private get itemsW(): Map<string, ChatItem> {
    return (this.items ??= new Map(this.base.items));
  }
  private get aliasW(): Map<string, string> {
    return (this.alias ??= new Map(this.base.alias));
  }
  private get turnTailW(): Map<string, string> {
    return (this.turnTail ??= new Map(this.base.turnTail));
  }
  private get turnUserW(): Map<string, string> {
    return (this.turnUser ??= new Map(this.base.turnUser));
  }
  private get toolsW(): Map<string, string> {
    return (this.tools ??= new Map(this.base.tools));
  }
  private get withdrawnW(): Set<string> {
    return (this.withdrawn ??= new Set(this.base.withdrawn));
  }
  private get rowIdsW(): Set<string> {
    return (this.rowIds ??= new Set(this.base.rowIds));
  }
  private get pendingW(): string[] {
    return (this.pendingTurns ??= [...this.base.pendingTurns]);
  }
  private item(key: string): ChatItem | undefined {
    return (this.items ?? this.base.items).get(key);
  }
  private keyOfRow(id: string): string | undefined {
    const aliased = (this.alias ?? this.base.alias).get(id);
    if (aliased !== undefined) return aliased;
    return this.item(id) ? id : undefined;
  }

  finish(): Timeline {
    const changed =
      this.order || this.items || this.alias || this.turnTail || this.turnUser || this.tools || this.withdrawn ||
      this.rowIds || this.pendingTurns || this.activeTurn !== this.base.activeTurn || this.typing !== this.base.typing ||
      this.rowsSinceHistory !== this.base.rowsSinceHistory || this.streamMismatches !== this.base.streamMismatches;
    if (!changed) return this.base;
    return {
      order: this.order ?? this.base.order,
      items: this.items ?? this.base.items,
      alias: this.alias ?? this.base.alias,
      turnTail: this.turnTail ?? this.base.turnTail,
      turnUser: this.turnUser ?? this.base.turnUser,
      tools: this.tools ?? this.base.tools,
      pendingTurns: this.pendingTurns ?? this.base.pendingTurns,
      activeTurn: this.activeTurn,
      typing: this.typing,
      withdrawn: this.withdrawn ?? this.base.withdrawn,
      rowIds: this.rowIds ?? this.base.rowIds,
      rowsSinceHistory: this.rowsSinceHistory,
      streamMismatches: this.streamMismatches,
    };
  }

  // ---- placement ----

  /** Places a new item after its turn's tail (or last), and makes it the tail. */
  private place(item: ChatItem, turnId: string | null): void {
    this.itemsW.set(item.key, item);
    const anchor = turnId ? (this.turnTail ?? this.base.turnTail).get(turnId) : undefined;
    const order = this.orderW;
    const at = anchor === undefined ? -1 : order.indexOf(anchor);
    if (at < 0) order.push(item.key);
    else order.splice(at + 1, 0, item.key);
    if (turnId) this.turnTailW.set(turnId, item.key);
  }

  private replace(item: ChatItem): void {
    this.itemsW.set(item.key, item);
  }

  private remove(key: string): void {
    this.itemsW.delete(key);
    const order = this.orderW;
    const at = order.indexOf(key);
    if (at >= 0) order.splice(at, 1);
    for (const [turn, tail] of this.turnTail ?? this.base.turnTail) {
      if (tail === key) {
        const previous = at > 0 ? order[at - 1] : undefined;
        if (previous !== undefined && this.item(previous)?.turnId === turn) this.turnTailW.set(turn, previous);
        else this.turnTailW.delete(turn);
      }
    }
  }

  private touchTurn(turnId: string | null, key: string): void {
    if (turnId && (this.turnTail ?? this.base.turnTail).get(turnId) !== key) this.turnTailW.set(turnId, key);
  }

  // ---- history ----

  /**
   * Shows a history page. `replace`: the newest rows, after a page load or a
   * resync; items history does not know (drafts, thinking, notices, sends in
   * flight) are kept after their turn. `prepend`: an older page.
   */
  mergeHistory(rows: readonly ChatRow[], mode: 'replace' | 'prepend', blocks: readonly HistoryBlock[] = []): void {
    const grouped = groupByTurn(rows);
    const historyKeys: string[] = [];
    const seen = new Set<string>();
    const questions = new Map<string, string>();
    const markedTurns = new Set<string>();
    for (const row of grouped) {
      const key = this.keyOfRow(row.id) ?? row.id;
      if (seen.has(key)) continue;
      seen.add(key);
      const turnId = turnIdOf(row.metadata);
      if (isCutOffMarker(row)) {
        if (turnId) markedTurns.add(turnId);
        this.replace(noticeFromMarker(row, key, (turnId && questions.get(turnId)) || this.questionOf(turnId)));
      } else {
        const previous = this.item(key);
        const next = messageFromRow(row, key);
        if (previous?.kind === 'message' && previous.queued) next.queued = true;
        if (turnId && next.role === 'user') questions.set(turnId, next.text);
        this.replace(next);
      }
      this.rowIdsW.add(row.id);
      historyKeys.push(key);
    }
    this.placeHistoryBlocks(blocks, historyKeys, seen);
    // A notice shown live for a turn the history marks (a host stop) would say it twice.
    const rest = (this.order ?? this.base.order).filter((key) => {
      if (seen.has(key)) return false;
      const item = this.item(key);
      return !(item?.kind === 'notice' && item.turnId !== null && markedTurns.has(item.turnId));
    });
    let order: string[];
    if (mode === 'prepend') {
      order = [...historyKeys, ...rest];
    } else {
      order = historyKeys;
      for (const key of rest) {
        const turnId = this.item(key)?.turnId ?? null;
        const anchor = turnId ? lastIndexOfTurn(order, turnId, (k) => this.item(k)) : -1;
        if (anchor < 0) order.push(key);
        else order.splice(anchor + 1, 0, key);
      }
      const historyIds = new Set(rows.map((row) => row.id));
      this.rowsSinceHistory = [...(this.rowIds ?? this.base.rowIds)].filter((id) => !historyIds.has(id)).length;
    }
    this.order = order;
    this.rebuildTurnIndexes();
  }

  private rebuildTurnIndexes(): void {
    const tails = new Map<string, string>();
    const users = new Map<string, string>();
    for (const key of this.order ?? this.base.order) {
      const item = this.item(key);
      if (!item?.turnId) continue;
      tails.set(item.turnId, key);
      if (item.kind === 'message' && item.role === 'user' && !users.has(item.turnId)) users.set(item.turnId, key);
    }
    this.turnTail = tails;
    this.turnUser = users;
  }

  /** After events were lost (the host's window moved on): who is typing and which turn runs is unknown until told again. */
  forgetLiveState(): void {
    this.typing = false;
    this.activeTurn = null;
    this.pendingTurns = [];
  }

  // ---- messages sent from this page ----

  addLocalSend(key: string, text: string, createdAt: string): void {
    this.place(
      { kind: 'message', key, id: null, role: 'user', text, state: 'sending', createdAt, turnId: null, partial: false, queued: false, error: null },
      null,
    );
  }

  sendAccepted(key: string, messageId: string, turnId: string, queued: boolean): void {
    const item = this.item(key);
    if (item?.kind !== 'message') return;
    const echoKey = this.keyOfRow(messageId);
    if (echoKey !== undefined && echoKey !== key) {
      // The echo arrived first and was not matched to this send: keep the row, drop the placeholder.
      this.remove(key);
      return;
    }
    this.aliasW.set(messageId, key);
    this.turnUserW.set(turnId, key);
    this.touchTurn(turnId, key);
    this.replace({ ...item, id: messageId, turnId, state: item.state === 'final' ? 'final' : 'sending', queued: item.queued || queued, error: null });
  }

  sendFailed(key: string, error: string): void {
    const item = this.item(key);
    if (item?.kind !== 'message' || item.state === 'final') return;
    this.replace({ ...item, state: 'failed', error });
  }

  retryStarted(key: string, createdAt: string): void {
    const item = this.item(key);
    if (item?.kind !== 'message') return;
    // A retried message goes to the end, where its answer will appear.
    this.remove(key);
    this.place({ ...item, state: 'sending', error: null, createdAt }, null);
  }

  dismiss(key: string): void {
    if (this.item(key)) this.remove(key);
  }

  // ---- host events ----

  apply(event: HostEvent, now: string): void {
    switch (event.type) {
      case 'orchestrator_chat':
        return this.row(event.message);
      case 'chat_stream':
        return this.chunk(event, now);
      case 'chat_typing':
        this.typing = event.is_typing;
        if (event.is_typing) this.startNextTurn();
        return;
      case 'thinking_block':
      case 'tool_use_block': {
        const made = this.blockItem(event);
        if (!made) return;
        if (made.known) return this.touchTurn(made.item.turnId, made.item.key);
        return this.place(made.item, made.item.turnId);
      }
      case 'tool_result_block':
        return this.toolResult(event);
      case 'turn_queued':
        return this.markQueued(event.turn_id, true);
      case 'turn_complete':
        return this.completeTurn(event.turn_id, event.status, now);
      case 'error':
        return this.turnError(event.seq, event.turn_id ?? null, event.error_class, event.message, event.retryable, event.timestamp ?? now);
      default:
        return;
    }
  }

  /** The item a thinking or tool-use block shows as (live, or from a history page); `known` when it is shown already. */
  private blockItem(block: HistoryBlock): { item: ThinkingItem | ToolItem; known: boolean } | null {
    if (block.type === 'thinking_block') {
      const key = `thinking:${block.data.id}`;
      const known = this.item(key);
      if (known?.kind === 'thinking') return { item: known, known: true };
      const turnId = block.data.turn_id ?? this.activeTurn;
      return { item: { kind: 'thinking', key, text: block.data.thinking, createdAt: block.data.timestamp, turnId }, known: false };
    }
    if (block.type === 'tool_use_block') {
      const key = `tool:${block.data.id}`;
      const known = this.item(key);
      if (known?.kind === 'tool') return { item: known, known: true };
      const turnId = block.data.turn_id ?? this.activeTurn;
      if (block.data.tool_use_id) this.toolsW.set(block.data.tool_use_id, key);
      const item: ToolItem = {
        kind: 'tool', key, toolName: block.data.tool_name, toolInput: block.data.tool_input, toolUseId: block.data.tool_use_id,
        createdAt: block.data.timestamp, turnId, result: null,
      };
      return { item, known: false };
    }
    return null;
  }

  private toolResult(block: Pick<ToolResultBlockEvent, 'data'>): void {
    const key = block.data.tool_use_id ? (this.tools ?? this.base.tools).get(block.data.tool_use_id) : undefined;
    const item = key ? this.item(key) : undefined;
    if (item?.kind === 'tool') this.replace({ ...item, result: { content: block.data.content, isError: block.data.is_error === true } });
  }

  /**
   * A history page's thinking and tool blocks, put where they were shown live: after the turn's
   * question, before its reply. Blocks of a turn with no row on the page are left out.
   */
  private placeHistoryBlocks(blocks: readonly HistoryBlock[], keys: string[], seen: Set<string>): void {
    const byTurn = new Map<string, string[]>();
    for (const block of blocks) {
      if (block.type === 'tool_result_block') continue;
      const made = this.blockItem(block);
      if (!made || !made.item.turnId || seen.has(made.item.key)) continue;
      this.replace(made.item);
      seen.add(made.item.key);
      byTurn.set(made.item.turnId, [...(byTurn.get(made.item.turnId) ?? []), made.item.key]);
    }
    for (const block of blocks) if (block.type === 'tool_result_block') this.toolResult(block);
    for (const [turnId, turnKeys] of byTurn) {
      const isAnswer = (key: string): boolean => {
        const item = this.item(key);
        return item?.turnId === turnId && !(item.kind === 'message' && item.role === 'user');
      };
      const first = keys.findIndex(isAnswer);
      const at = first >= 0 ? first : lastIndexOfTurn(keys, turnId, (key) => this.item(key)) + 1;
      if (at === 0 && first < 0) {
        for (const key of turnKeys) seen.delete(key);
        continue;
      }
      // Replies, thinking and tools in the order they appeared live: their ids are time-ordered (UUIDv7)
      // and made when each began to show (a reply at its first token, a block when it arrived).
      const answers = [...keys.filter(isAnswer), ...turnKeys].sort((a, b) => this.timeKey(a).localeCompare(this.timeKey(b)));
      const rest = keys.filter((key) => !isAnswer(key));
      rest.splice(Math.min(at, rest.length), 0, ...answers);
      keys.splice(0, keys.length, ...rest);
    }
  }

  /** What orders a turn's answers: a reply row's id, a block's id (both time-ordered). */
  private timeKey(key: string): string {
    const item = this.item(key);
    if (item?.kind === 'message' && item.id) return item.id;
    return key.slice(key.indexOf(':') + 1);
  }

  /** The text of a turn's question, when the timeline has it. */
  private questionOf(turnId: string | null): string | null {
    const key = turnId ? (this.turnUser ?? this.base.turnUser).get(turnId) : undefined;
    const item = key ? this.item(key) : undefined;
    return item?.kind === 'message' ? item.text : null;
  }

  private row(row: ChatRow): void {
    const turnId = turnIdOf(row.metadata);
    if (isCutOffMarker(row)) {
      if (this.keyOfRow(row.id) !== undefined || this.item(row.id)) return;
      this.place(noticeFromMarker(row, row.id, this.questionOf(turnId)), turnId);
      this.countRow(row.id);
      return;
    }
    let key = this.keyOfRow(row.id);
    const role = roleOf(row.sender_type);
    if (key === undefined && role === 'user') key = this.adoptLocalSend(row);
    if (key !== undefined) {
      const previous = this.item(key);
      if (previous?.kind === 'message' && previous.state === 'streaming') {
        if (previous.text !== row.message && row.metadata?.['partial'] !== true) this.streamMismatches += 1;
        if (role !== 'user') this.announce(row);
      }
      const next = messageFromRow(row, key);
      if (previous?.kind === 'message') next.queued = previous.queued;
      this.replace(next);
      this.touchTurn(turnId, key);
    } else {
      key = row.id;
      this.place(messageFromRow(row, key), turnId ?? (role === 'user' ? null : this.activeTurn));
      if (role !== 'user') this.announce(row);
    }
    this.countRow(row.id);
    if (role === 'user' && turnId) {
      if (!(this.turnUser ?? this.base.turnUser).has(turnId)) this.turnUserW.set(turnId, key);
      if (!(this.pendingTurns ?? this.base.pendingTurns).includes(turnId) && this.activeTurn !== turnId) this.pendingW.push(turnId);
    }
  }

  /** A row that arrived live, not with a history page: counted once however often it is replayed. */
  private countRow(id: string): void {
    if ((this.rowIds ?? this.base.rowIds).has(id)) return;
    this.rowIdsW.add(id);
    this.rowsSinceHistory += 1;
  }

  /** The host's echo of a message sent from this page, before the page heard back from its request. */
  private adoptLocalSend(row: ChatRow): string | undefined {
    for (const key of this.order ?? this.base.order) {
      const item = this.item(key);
      if (item?.kind === 'message' && item.id === null && item.state === 'sending' && item.text === row.message) {
        this.aliasW.set(row.id, key);
        return key;
      }
    }
    return undefined;
  }

  private chunk(event: ChatStreamEvent, now: string): void {
    const key = this.keyOfRow(event.message_id) ?? event.message_id;
    const item = this.item(key);
    if (event.withdrawn) {
      this.withdrawnW.add(event.message_id);
      if (item?.kind === 'message' && item.state === 'streaming') this.remove(key);
      return;
    }
    if (event.is_complete || event.chunk === '') return; // the final row follows and replaces the draft
    if ((this.withdrawn ?? this.base.withdrawn).has(event.message_id)) return;
    if (item) {
      // A chunk of a reply already final: replayed over history. Ignore.
      if (item.kind === 'message' && item.state === 'streaming') this.replace({ ...item, text: item.text + event.chunk });
      return;
    }
    const turnId = this.activeTurn;
    this.place(
      {
        kind: 'message', key, id: event.message_id, role: 'orchestrator', text: event.chunk, state: 'streaming',
        createdAt: event.timestamp ?? now, turnId, partial: false, queued: false, error: null,
      },
      turnId,
    );
  }

  private startNextTurn(): void {
    const pending = this.pendingTurns ?? this.base.pendingTurns;
    if (pending.length === 0) {
      this.activeTurn = null;
      return;
    }
    const [next, ...rest] = pending;
    this.pendingTurns = rest;
    this.activeTurn = next ?? null;
    if (next) this.markQueued(next, false);
  }

  private markQueued(turnId: string, queued: boolean): void {
    const key = (this.turnUser ?? this.base.turnUser).get(turnId);
    const item = key ? this.item(key) : undefined;
    if (item?.kind === 'message' && item.queued !== queued) this.replace({ ...item, queued });
  }

  private completeTurn(turnId: string, status: string, now: string): void {
    const pending = this.pendingTurns ?? this.base.pendingTurns;
    if (pending.includes(turnId)) this.pendingTurns = pending.filter((id) => id !== turnId);
    if (this.activeTurn === turnId) this.activeTurn = null;
    this.markQueued(turnId, false);
    // A draft that never got its final row must not blink forever.
    for (const key of this.order ?? this.base.order) {
      const item = this.item(key);
      if (item?.kind === 'message' && item.state === 'streaming' && item.turnId === turnId) {
        this.replace({ ...item, state: 'final', partial: true });
      }
    }
    if (status === 'cancelled') {
      this.turnError(null, turnId, 'cancelled', 'The host shut down before this message ran. It is saved; send it again to get an answer.', true, now);
    }
  }

  private turnError(seq: number | null, turnId: string | null, errorClass: string, message: string, retryable: boolean, createdAt: string): void {
    const key = seq === null ? `notice:${turnId ?? ''}:${errorClass}` : `error:${seq}`;
    if (this.item(key)) return;
    const userKey = turnId ? (this.turnUser ?? this.base.turnUser).get(turnId) : undefined;
    const userItem = userKey ? this.item(userKey) : undefined;
    const described = describeTurnError(errorClass, message, retryable);
    const notice: NoticeItem = {
      kind: 'notice', key, level: described.level, title: described.title, message: described.message, createdAt,
      turnId, retryText: described.offerRetry && userItem?.kind === 'message' ? userItem.text : null,
    };
    this.place(notice, turnId);
    this.announcements.push({ text: `${described.title}. ${described.message}`, urgent: described.level === 'error' });
  }

  private announce(row: ChatRow): void {
    const text = row.message.replace(/\s+/g, ' ').trim();
    this.announcements.push({ text: `Orchestrator replied: ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`, urgent: false });
  }
}

function lastIndexOfTurn(order: readonly string[], turnId: string, item: (key: string) => ChatItem | undefined): number {
  for (let index = order.length - 1; index >= 0; index -= 1) {
    const key = order[index];
    if (key !== undefined && item(key)?.turnId === turnId) return index;
  }
  return -1;
}

/** The items in display order. */
export function itemsInOrder(timeline: Timeline): ChatItem[] {
  const list: ChatItem[] = [];
  for (const key of timeline.order) {
    const item = timeline.items.get(key);
    if (item) list.push(item);
  }
  return list;
}

/** Whether a reply is streaming right now. */
export function hasStreamingDraft(timeline: Timeline): boolean {
  for (const item of timeline.items.values()) if (item.kind === 'message' && item.state === 'streaming') return true;
  return false;
}
