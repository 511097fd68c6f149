import type { ConnectionState, HostEvent, ReloadRequiredFrame, RequestErrorFrame } from '../types';
import { Backoff } from './backoff';
import { SequenceGate } from './sequenceGate';

/** What the socket needs of a WebSocket (the browser's, or a test's). */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string; wasClean?: boolean }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const browserTimers: Timers = {
  setTimeout: (callback, ms) => window.setTimeout(callback, ms),
  clearTimeout: (handle) => window.clearTimeout(handle as number),
  now: () => Date.now(),
};

export interface ChatSocketHandlers {
  /** Host events, in `seq` order, each exactly once. */
  events(events: HostEvent[]): void;
  /** Every frame received, and how many were duplicates (for the header's counter). */
  frames(count: number, duplicates: number): void;
  state(state: ConnectionState, note: string | null): void;
  /** A connection is up (the first, or a reconnect): a chance to check the host did not restart. */
  connected(reconnect: boolean): void;
  /** The host no longer has the missed events: reload history; the stream continues after `lastSeq`. */
  reloadRequired(frame: ReloadRequiredFrame): void;
  /** The host refused a request on this socket (e.g. the resume, for an orchestrator it no longer serves). */
  requestError(frame: RequestErrorFrame): void;
}

export interface ChatSocketOptions {
  url: string;
  orchestratorId: string;
  handlers: ChatSocketHandlers;
  createSocket?: (url: string) => SocketLike;
  backoff?: Backoff;
  timers?: Timers;
  /** How long an out-of-order event may wait for the ones before it before a resume asks for them. */
  gapTimeoutMs?: number;
  /** How long to wait for a connection to open. */
  connectTimeoutMs?: number;
}

const OPEN = 1;

/**
 * The WebSocket to the host, kept alive forever: it reconnects with backoff
 * and jitter, resumes from the last `seq` it delivered (so nothing is lost or
 * doubled across a reconnect), pings to notice a dead link the browser did
 * not, and passes events on in order. It knows nothing about the chat.
 */
export class ChatSocket {
  private readonly gate: SequenceGate<HostEvent>;
  private readonly backoff: Backoff;
  private readonly timers: Timers;
  private readonly createSocket: (url: string) => SocketLike;
  private socket: SocketLike | null = null;
  private stopped = true;
  private everConnected = false;
  /** The current connection got as far as `connection_established`. */
  private isEstablished = false;
  private retryTimer: unknown = null;
  private gapTimer: unknown = null;
  private connectTimer: unknown = null;
  private pingTimer: unknown = null;
  private lastHeard = 0;
  private heartbeatMs = 20_000;
  private requestCounter = 0;
  private reconnectCount = 0;

  constructor(private readonly options: ChatSocketOptions) {
    this.gate = new SequenceGate<HostEvent>();
    this.backoff = options.backoff ?? new Backoff();
    this.timers = options.timers ?? browserTimers;
    this.createSocket = options.createSocket ?? ((url) => new WebSocket(url) as unknown as SocketLike);
  }

  get lastSeq(): number {
    return this.gate.lastSeq;
  }

  get reconnects(): number {
    return this.reconnectCount;
  }

  /** Connects, resuming after `lastSeq` (0: everything the host still has). */
  start(lastSeq = 0): void {
    this.gate.reset(lastSeq);
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      this.detach(socket);
      socket.close(1000, 'page closed');
    }
  }

  /** Starts over after `lastSeq` on a new connection (the host restarted: its numbering started again). */
  restart(lastSeq = 0): void {
    this.stop();
    this.start(lastSeq);
  }

  /** Skips the wait before the next attempt (the user asked, or the browser is back online). */
  reconnectNow(): void {
    if (this.stopped || this.socket) return;
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  private connect(): void {
    this.retryTimer = null;
    const attempt = this.backoff.attempt + 1;
    this.options.handlers.state({ phase: 'connecting', attempt, retryAt: null, detail: null }, null);
    let socket: SocketLike;
    try {
      socket = this.createSocket(this.options.url);
    } catch (error) {
      this.scheduleRetry(`could not open a WebSocket: ${String(error)}`);
      return;
    }
    this.socket = socket;
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => this.closed(socket, event.code, event.reason);
    socket.onerror = () => undefined; // a close always follows, with the code
    this.connectTimer = this.timers.setTimeout(() => {
      if (this.socket === socket && socket.readyState !== OPEN) socket.close(4002, 'connect timeout');
    }, this.options.connectTimeoutMs ?? 10_000);
  }

  private detach(socket: SocketLike): void {
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = null;
    socket.onopen = null;
  }

  private closed(socket: SocketLike, code: number, reason: string): void {
    if (this.socket !== socket) return;
    this.detach(socket);
    this.socket = null;
    this.clearTimers();
    if (this.stopped) return;
    this.scheduleRetry(describeClose(code, reason));
  }

  private scheduleRetry(detail: string): void {
    // The event stream notes the loss of a live connection, not every failed attempt after it.
    const note = this.isEstablished ? `disconnected: ${detail}` : null;
    this.isEstablished = false;
    const delay = this.backoff.next();
    const retryAt = this.timers.now() + delay;
    this.options.handlers.state({ phase: 'waiting', attempt: this.backoff.attempt, retryAt, detail }, note);
    this.retryTimer = this.timers.setTimeout(() => this.connect(), delay);
  }

  private clearTimers(): void {
    for (const timer of [this.retryTimer, this.gapTimer, this.connectTimer, this.pingTimer]) {
      if (timer !== null) this.timers.clearTimeout(timer);
    }
    this.retryTimer = this.gapTimer = this.connectTimer = this.pingTimer = null;
  }

  private send(frame: Record<string, unknown>): void {
    if (this.socket && this.socket.readyState === OPEN) this.socket.send(JSON.stringify(frame));
  }

  private requestResume(): void {
    this.requestCounter += 1;
    this.send({
      type: 'resume', orchestrator_agent_id: this.options.orchestratorId, last_seq: this.gate.lastSeq,
      request_id: `resume-${this.requestCounter}`,
    });
  }

  private receive(data: unknown): void {
    this.lastHeard = this.timers.now();
    if (typeof data !== 'string') return;
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return; // the transport only sends JSON; anything else is not ours to act on
    }
    if (typeof frame['seq'] === 'number' && frame['seq'] > 0) {
      const before = this.gate.duplicates;
      const ready = this.gate.accept(frame as unknown as HostEvent);
      this.options.handlers.frames(1, this.gate.duplicates - before);
      if (ready.length > 0) this.options.handlers.events(ready);
      this.watchGap();
      return;
    }
    this.options.handlers.frames(1, 0);
    switch (frame['type']) {
      case 'connection_established':
        return this.established(frame);
      case 'resumed':
        this.backoff.reset();
        this.options.handlers.state(
          { phase: 'open', attempt: 0, retryAt: null, detail: null },
          `resumed after seq ${this.gate.lastSeq}: ${Number(frame['replayed'] ?? 0)} missed events replayed`,
        );
        return;
      case 'reload_required': {
        const reload = frame as unknown as ReloadRequiredFrame;
        const ready = this.gate.skipTo(reload.last_seq);
        this.backoff.reset();
        this.options.handlers.state({ phase: 'open', attempt: 0, retryAt: null, detail: null }, 'missed events left the host’s window: reloading history');
        this.options.handlers.reloadRequired(reload);
        if (ready.length > 0) this.options.handlers.events(ready);
        return;
      }
      case 'error':
        this.options.handlers.requestError(frame as unknown as RequestErrorFrame);
        return;
      default:
        return; // pong, ack, and frames a newer transport may add
    }
  }

  private established(frame: Record<string, unknown>): void {
    if (this.connectTimer !== null) this.timers.clearTimeout(this.connectTimer);
    this.connectTimer = null;
    const heartbeat = Number(frame['heartbeat_s']);
    if (Number.isFinite(heartbeat) && heartbeat > 0) this.heartbeatMs = heartbeat * 1000;
    this.isEstablished = true;
    const reconnect = this.everConnected;
    if (reconnect) this.reconnectCount += 1;
    this.everConnected = true;
    this.options.handlers.state({ phase: 'syncing', attempt: 0, retryAt: null, detail: null }, `connected as ${String(frame['client_id'] ?? '?')}`);
    // The resume goes first, so the replay and the live events arrive in seq order.
    this.requestResume();
    this.options.handlers.connected(reconnect);
    this.schedulePing();
  }

  /** Pings so that a link that died silently (no close from the network) is noticed and replaced. */
  private schedulePing(): void {
    this.pingTimer = this.timers.setTimeout(() => {
      if (!this.socket) return;
      if (this.timers.now() - this.lastHeard > this.heartbeatMs * 2) {
        this.socket.close(4000, 'no answer to pings');
        return;
      }
      this.send({ type: 'ping' });
      this.schedulePing();
    }, this.heartbeatMs);
  }

  /** Events after a gap wait briefly for the missing ones, then a resume asks for them. */
  private watchGap(): void {
    if (this.gate.heldCount === 0) {
      if (this.gapTimer !== null) this.timers.clearTimeout(this.gapTimer);
      this.gapTimer = null;
      return;
    }
    if (this.gapTimer !== null) return;
    this.gapTimer = this.timers.setTimeout(() => {
      this.gapTimer = null;
      if (this.gate.heldCount > 0) this.requestResume();
    }, this.options.gapTimeoutMs ?? 1000);
  }
}

/** Close codes in words (RFC 6455 and docs/websocket-transport.md). */
export function describeClose(code: number, reason: string): string {
  const known: Record<number, string> = {
    1000: 'closed',
    1001: 'the host is shutting down',
    1006: 'the connection was lost',
    1009: 'a message was too large',
    1011: 'the host hit an error',
    4000: 'no answer to pings',
    4001: 'this page fell too far behind',
    4002: 'the host did not answer',
  };
  const words = known[code] ?? `closed with code ${code}`;
  return reason ? `${words} (${reason})` : words;
}
