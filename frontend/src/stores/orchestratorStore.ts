import { firstHistoryPage, historyLimit, historyPageSize, hostRestartToleranceMs } from '../config';
import type { FrameScheduler } from '../lib/frameScheduler';
import { ReactiveStore } from '../lib/reactiveStore';
import { ApiError } from '../services/api';
import { Backoff } from '../services/backoff';
import type { ChatService } from '../services/chatService';
import type { IfBusy, TeamService } from '../services/teamService';
import type { ChatSocket, SocketLike, Timers } from '../services/chatSocket';
import type { PermissionService } from '../services/permissionService';
import { browserTimers } from '../services/chatSocket';
import type { HostEvent, Orchestrator, PermissionAnswer } from '../types';
import { type Action, initialState, type OrchestratorState, orchestratorReducer } from './orchestratorState';

export interface OrchestratorStoreDeps {
  chat: ChatService;
  team: TeamService;
  permissions: PermissionService;
  scheduler: FrameScheduler;
  timers?: Timers;
  clock?: () => string;
  createSocket?: (url: string) => SocketLike;
  random?: () => number;
}

/**
 * The single source of truth for the page (the original's Pinia store
 * `orchestrator`, in plain TypeScript): the state, the actions that change it,
 * and the calls to the services those actions need. Views read `state` and
 * call actions; they never talk to the network.
 */
export class OrchestratorStore {
  readonly store: ReactiveStore<OrchestratorState, Action>;
  private readonly chat: ChatService;
  private readonly scheduler: FrameScheduler;
  private readonly timers: Timers;
  private readonly clock: () => string;
  private socket: ChatSocket | null = null;
  private inbox: HostEvent[] = [];
  private inboxScheduled = false;
  private hostStartedAt: number | null = null;
  private localCounter = 0;
  private disposed = false;

  constructor(private readonly deps: OrchestratorStoreDeps) {
    this.chat = deps.chat;
    this.scheduler = deps.scheduler;
    this.timers = deps.timers ?? browserTimers;
    this.clock = deps.clock ?? (() => new Date().toISOString());
    this.store = new ReactiveStore(initialState, orchestratorReducer, deps.scheduler);
  }

  get state(): OrchestratorState {
    return this.store.state;
  }

  private dispatch(action: Action): void {
    this.store.dispatch(action);
  }

  // ---- start and resync ----

  /**
   * Finds the orchestrator, loads history, then streams. The host may be down
   * when the page opens: it keeps trying, with backoff, and says so (the
   * original gave up for good after one failed request).
   */
  async initialize(): Promise<void> {
    const backoff = new Backoff(undefined, this.deps.random);
    for (;;) {
      try {
        const orchestrator = await this.loadEverything();
        this.dispatch({ type: 'connectionChanged', connection: { phase: 'connecting', attempt: 1, retryAt: null, detail: null }, note: null, now: this.clock() });
        this.openSocket(orchestrator.id);
        return;
      } catch (error) {
        if (this.disposed) return;
        const delay = backoff.next();
        const message = error instanceof Error ? error.message : String(error);
        this.dispatch({ type: 'startupFailed', message: `${message} Trying again in ${Math.ceil(delay / 1000)} s.` });
        this.dispatch({
          type: 'connectionChanged',
          connection: { phase: 'waiting', attempt: backoff.attempt, retryAt: this.timers.now() + delay, detail: message },
          note: null,
          now: this.clock(),
        });
        await new Promise<void>((resolve) => this.timers.setTimeout(resolve, delay));
      }
    }
  }

  private async loadEverything(): Promise<Orchestrator> {
    const { orchestrator } = await this.chat.getOrchestrator();
    mark('orch:orchestrator-loaded');
    this.dispatch({ type: 'orchestratorLoaded', orchestrator });
    await Promise.all([this.loadHistory(orchestrator.id), this.loadTeam(), this.checkHostStart()]);
    void this.reloadPermissions();
    return orchestrator;
  }

  /** The team as the host knows it now; the agent events keep it current from here. */
  private async loadTeam(): Promise<void> {
    this.dispatch({ type: 'teamLoaded', response: await this.deps.team.listAgents() });
  }

  /**
   * The newest rows first (a page, enough to fill the screen many times over),
   * so the page is usable at once; then older pages in the background, up to
   * `historyLimit`, as the original loaded 2,000.
   */
  private async loadHistory(orchestratorId: string): Promise<void> {
    const first = await this.chat.loadChatHistory(orchestratorId, firstHistoryPage);
    mark('orch:history-fetched');
    this.dispatch({ type: 'historyLoaded', response: first, mode: 'replace' });
    if (first.has_more) void this.loadOlderPages(orchestratorId, first.messages[0]?.id ?? null, historyLimit - first.messages.length);
    else mark('orch:history-complete');
  }

  /** Loads up to `budget` rows older than `oldest`, a page at a time, each shown as it arrives. */
  private async loadOlderPages(orchestratorId: string, oldest: string | null, budget: number): Promise<void> {
    try {
      let hasMore = true;
      while (hasMore && oldest && budget > 0 && !this.disposed) {
        this.dispatch({ type: 'olderLoading', loading: true });
        const page = await this.chat.loadChatHistory(orchestratorId, Math.min(historyPageSize, budget), oldest);
        this.dispatch({ type: 'historyLoaded', response: page, mode: 'prepend' });
        budget -= page.messages.length;
        hasMore = page.has_more && page.messages.length > 0;
        oldest = page.messages[0]?.id ?? null;
      }
      mark('orch:history-complete');
    } catch (error) {
      this.dispatch({ type: 'olderLoading', loading: false });
      this.dispatch({ type: 'toast', text: `Could not load older messages: ${readable(error)}` });
    }
  }

  /** Whether the host restarted since we last looked (its event numbers start again at 1). */
  private async checkHostStart(): Promise<boolean> {
    try {
      const health = await this.chat.health();
      if (typeof health.uptime_s !== 'number') return false;
      const startedAt = this.timers.now() - health.uptime_s * 1000;
      const previous = this.hostStartedAt;
      this.hostStartedAt = startedAt;
      return previous !== null && Math.abs(startedAt - previous) > hostRestartToleranceMs;
    } catch {
      return false; // health is a hint; the resume still protects the stream
    }
  }

  private openSocket(orchestratorId: string): void {
    this.socket?.stop();
    this.socket = this.chat.connectWebSocket({
      orchestratorId,
      timers: this.timers,
      backoff: new Backoff(undefined, this.deps.random),
      ...(this.deps.createSocket ? { createSocket: this.deps.createSocket } : {}),
      handlers: {
        events: (events) => this.receive(events),
        frames: (count, duplicates) => this.dispatch({ type: 'framesReceived', count, duplicates }),
        state: (connection, note) => this.dispatch({ type: 'connectionChanged', connection, note, now: this.clock() }),
        connected: (reconnect) => {
          if (!reconnect) return;
          this.dispatch({ type: 'reconnected' });
          void this.checkHostStart().then((restarted) => {
            if (restarted) void this.resync('the host restarted');
          });
        },
        reloadRequired: () => {
          this.dispatch({ type: 'liveStateLost' });
          void this.reloadHistory();
          void this.reloadTeam();
          void this.reloadPermissions();
        },
        requestError: (frame) => {
          if (frame.code === 'unknown_orchestrator') void this.resync('the host serves another conversation');
        },
      },
    });
    this.socket.start(0);
  }

  /** Starts over from the host's current state, keeping what this page has not sent yet. */
  private async resync(reason: string): Promise<void> {
    this.flushInbox();
    this.socket?.stop();
    this.socket = null;
    this.dispatch({ type: 'liveStateLost' });
    this.dispatch({ type: 'connectionChanged', connection: { phase: 'loading', attempt: 0, retryAt: null, detail: reason }, note: `resyncing: ${reason}`, now: this.clock() });
    await this.initialize();
  }

  private async reloadHistory(): Promise<void> {
    const id = this.state.orchestrator?.id;
    if (!id) return;
    try {
      this.flushInbox();
      await this.loadHistory(id);
    } catch (error) {
      this.dispatch({ type: 'toast', text: `Could not reload the history: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  private async reloadTeam(): Promise<void> {
    try {
      this.flushInbox();
      await this.loadTeam();
    } catch (error) {
      this.dispatch({ type: 'toast', text: `Could not reload the agents: ${readable(error)}` });
    }
  }

  /** The pending requests as the host has them; events keep them current from here. A failure leaves the page usable. */
  private async reloadPermissions(): Promise<void> {
    try {
      const [{ requests }, log] = await Promise.all([this.deps.permissions.inbox(), this.deps.permissions.log(recentPermissions)]);
      this.flushInbox();
      this.dispatch({ type: 'permissionsLoaded', requests, recent: log.requests.filter((request) => request.status !== 'pending') });
    } catch (error) {
      this.dispatch({ type: 'toast', text: `Could not load the permission inbox: ${readable(error)}` });
    }
  }

  /** Events wait for the next frame and are reduced together: one state change and one render per frame. */
  private receive(events: HostEvent[]): void {
    for (const event of events) this.inbox.push(event);
    if (this.inboxScheduled) return;
    this.inboxScheduled = true;
    this.scheduler.schedule(() => this.flushInbox());
  }

  private flushInbox(): void {
    this.inboxScheduled = false;
    if (this.inbox.length === 0) return;
    const events = this.inbox;
    this.inbox = [];
    this.dispatch({ type: 'hostEvents', events, now: this.clock() });
  }

  // ---- actions ----

  /** Sends a message; it shows at once and stays, with a retry, if the host refuses it. Returns whether it was sent off. */
  sendUserMessage(text: string): boolean {
    if (text.trim().length === 0) {
      this.dispatch({ type: 'toast', text: 'Type a message first.' });
      return false;
    }
    const id = this.state.orchestrator?.id;
    if (!id) {
      this.dispatch({ type: 'toast', text: 'Not connected to the orchestrator yet; wait a moment.' });
      return false;
    }
    this.localCounter += 1;
    const key = `local:${this.localCounter}`;
    this.dispatch({ type: 'sendStarted', key, text, now: this.clock() });
    void this.deliver(key, id, text);
    return true;
  }

  /** Sends a message that failed again. */
  retry(key: string): void {
    const item = this.state.chat.items.get(key);
    const id = this.state.orchestrator?.id;
    if (item?.kind !== 'message' || item.state !== 'failed' || !id) return;
    this.dispatch({ type: 'retryStarted', key, now: this.clock() });
    void this.deliver(key, id, item.text);
  }

  private async deliver(key: string, orchestratorId: string, text: string): Promise<void> {
    try {
      const response = await this.chat.sendMessage(orchestratorId, text);
      this.dispatch({ type: 'sendAccepted', key, response });
    } catch (error) {
      this.dispatch({ type: 'sendFailed', key, message: readable(error) });
    }
  }

  /** Sends the question of a failed turn again (its notice's Retry). */
  resend(noticeKey: string): void {
    const notice = this.state.chat.items.get(noticeKey);
    if (notice?.kind !== 'notice' || notice.retryText === null) return;
    if (this.sendUserMessage(notice.retryText)) this.dispatch({ type: 'itemDismissed', key: noticeKey });
  }

  dismiss(key: string): void {
    this.dispatch({ type: 'itemDismissed', key });
  }

  /** Asks the host to stop the running turn. */
  async interrupt(): Promise<void> {
    const id = this.state.orchestrator?.id;
    if (!id || this.state.stopping) return;
    this.dispatch({ type: 'stopRequested' });
    try {
      const { interrupted } = await this.chat.interrupt(id);
      this.dispatch({ type: 'stopFinished', toast: interrupted ? null : 'Nothing is running right now.' });
    } catch (error) {
      this.dispatch({ type: 'stopFinished', toast: `Could not stop: ${readable(error)}` });
    }
  }

  /** Loads the page of rows before the oldest one shown ("Load older messages"). */
  async loadOlder(): Promise<void> {
    const id = this.state.orchestrator?.id;
    if (!id || this.state.history.loadingOlder || !this.state.history.hasMore) return;
    await this.loadOlderPages(id, this.oldestRowId(), historyPageSize);
  }

  private oldestRowId(): string | null {
    for (const key of this.state.chat.order) {
      const item = this.state.chat.items.get(key);
      if (item?.kind === 'message' && item.id && item.state === 'final') return item.id;
    }
    return null;
  }

  // ---- the team (each answer's effect arrives as agent events; errors become a toast) ----

  /** Gives an agent a command as the person (a user→agent row). Returns whether the host took it. */
  async commandAgent(agentId: string, command: string, ifBusy: IfBusy = 'queue'): Promise<boolean> {
    if (command.trim().length === 0) {
      this.dispatch({ type: 'toast', text: 'Type a command for the agent first.' });
      return false;
    }
    this.dispatch({ type: 'toast', text: null }); // an earlier complaint no longer applies
    try {
      await this.deps.team.command(agentId, command, ifBusy);
      return true;
    } catch (error) {
      this.dispatch({ type: 'toast', text: `The agent did not take the command: ${readable(error)}` });
      return false;
    }
  }

  /** Stops the agent's running command. Returns whether one was running. */
  async interruptAgent(agentId: string): Promise<boolean> {
    try {
      const { interrupted } = await this.deps.team.interrupt(agentId);
      if (!interrupted) this.dispatch({ type: 'toast', text: `${this.agentName(agentId)} is not running anything.` });
      return interrupted;
    } catch (error) {
      this.dispatch({ type: 'toast', text: `Could not interrupt ${this.agentName(agentId)}: ${readable(error)}` });
      return false;
    }
  }

  /** Stops the agent's process and archives it; resolves once the host confirmed the process is gone. */
  async deleteAgent(agentId: string): Promise<boolean> {
    try {
      await this.deps.team.remove(agentId);
      return true;
    } catch (error) {
      this.dispatch({ type: 'toast', text: `Could not stop ${this.agentName(agentId)}: ${readable(error)}` });
      return false;
    }
  }

  // ---- the permission inbox (an answer's effect also arrives as permission_resolved) ----

  /** Answers one request. Returns whether the host took the answer. */
  async answerPermission(id: string, answer: PermissionAnswer): Promise<boolean> {
    this.dispatch({ type: 'permissionsAnswering', ids: [id], answering: true });
    try {
      const { request } = await this.deps.permissions.answer(id, answer);
      this.dispatch({ type: 'permissionAnswered', request });
      return true;
    } catch (error) {
      this.dispatch({ type: 'permissionFailed', id, message: readable(error) });
      return false;
    }
  }

  /** Answers every ticked request the same way, in one request; each may fail on its own. */
  async answerSelectedPermissions(answer: PermissionAnswer): Promise<void> {
    const ids = [...this.state.permissions.selected];
    if (ids.length === 0) {
      this.dispatch({ type: 'toast', text: 'Tick the requests to answer first.' });
      return;
    }
    this.dispatch({ type: 'permissionsAnswering', ids, answering: true });
    try {
      const { results } = await this.deps.permissions.answerAll(ids.map((id) => ({ id, ...answer })));
      for (const result of results) {
        if (result.status === 'success') this.dispatch({ type: 'permissionAnswered', request: result.request });
        else this.dispatch({ type: 'permissionFailed', id: result.id, message: result.error.message });
      }
    } catch (error) {
      for (const id of ids) this.dispatch({ type: 'permissionFailed', id, message: readable(error) });
    }
  }

  selectPermission(id: string, selected: boolean): void {
    this.dispatch({ type: 'permissionSelected', id, selected });
  }

  selectAllPermissions(selected: boolean): void {
    this.dispatch({ type: 'allPermissionsSelected', selected });
  }

  /** A page of an agent's log (for the stream's and the agent view's older rows). */
  agentLogs(agentId: string, sinceSeq: number, limit: number): ReturnType<TeamService['agentLogs']> {
    return this.deps.team.agentLogs(agentId, sinceSeq, limit);
  }

  /** Focuses an agent (its view opens, the stream filters to it), or nothing with null. */
  focusAgent(agentId: string | null): void {
    const changed = this.state.focusedAgentId !== agentId;
    this.dispatch({ type: 'agentFocused', agentId });
    if (changed && agentId !== null) void this.loadAgentLog(agentId);
  }

  /**
   * The focused agent's whole log, a page at a time from the oldest (live rows
   * arriving meanwhile merge by seq). Stops when the focus moves on.
   */
  private async loadAgentLog(agentId: string): Promise<void> {
    let since = 0;
    try {
      for (let page = 0; page < agentLogPages; page += 1) {
        if (this.state.focusedAgentId !== agentId || this.disposed) return;
        const { logs, has_more } = await this.deps.team.agentLogs(agentId, since, agentLogPageSize);
        const last = logs[logs.length - 1];
        const done = !has_more || !last || page === agentLogPages - 1;
        this.dispatch({ type: 'agentLogsLoaded', agentId, logs, done });
        if (done || !last) return;
        since = last.seq;
      }
    } catch (error) {
      this.dispatch({ type: 'agentLogsFailed', agentId, message: `Could not load its log: ${readable(error)}` });
    }
  }

  private agentName(agentId: string): string {
    return this.state.team.members.get(agentId)?.name ?? 'The agent';
  }

  reconnectNow(): void {
    this.socket?.reconnectNow();
  }

  dismissToast(): void {
    this.dispatch({ type: 'toast', text: null });
  }

  /** For tests and diagnostics: where the stream is. */
  get lastSeq(): number {
    return this.socket?.lastSeq ?? 0;
  }

  dispose(): void {
    this.disposed = true;
    this.socket?.stop();
    this.socket = null;
  }
}

/** Decided requests the inbox shows at load (what a restart expired among them), newest first. */
const recentPermissions = 10;

/** The agent view loads at most this many log rows (older ones are the stream's to page through). */
const agentLogPageSize = 1000;
const agentLogPages = 5;

/** A performance mark for the startup breakdown (bench_ui.py); absent outside browsers. */
function mark(name: string): void {
  if (typeof performance !== 'undefined' && typeof performance.mark === 'function') performance.mark(name);
}

function readable(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
