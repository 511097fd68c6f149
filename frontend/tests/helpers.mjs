// Test doubles shared by the logic tests: a clock and timers the test moves by
// hand, a WebSocket the test drives, and builders for host rows and events.
export class FakeTimers {
  constructor() {
    this.time = 1_000_000;
    this.queue = [];
    this.nextId = 1;
  }
  setTimeout(callback, ms) {
    const id = this.nextId++;
    this.queue.push({ id, at: this.time + ms, callback });
    return id;
  }
  clearTimeout(id) {
    this.queue = this.queue.filter((entry) => entry.id !== id);
  }
  now() {
    return this.time;
  }
  /** Moves time forward, running every timer that falls due, in order. */
  advance(ms) {
    const end = this.time + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at);
      const next = this.queue[0];
      if (!next || next.at > end) break;
      this.queue.shift();
      this.time = next.at;
      next.callback();
    }
    this.time = end;
  }
  /** Delays of the timers waiting now, from the current time. */
  pending() {
    return this.queue.map((entry) => entry.at - this.time).sort((a, b) => a - b);
  }
}

export class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.onopen = this.onmessage = this.onclose = this.onerror = null;
    FakeSocket.all.push(this);
  }
  static reset() {
    FakeSocket.all = [];
  }
  static get last() {
    return FakeSocket.all[FakeSocket.all.length - 1];
  }
  send(data) {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000, reason = '') {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  /** The server accepted the upgrade and greeted the client. */
  establish(clientId = 'client_1') {
    this.readyState = 1;
    this.onopen?.({});
    this.receive({ type: 'connection_established', client_id: clientId, heartbeat_s: 20 });
  }
  receive(frame) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  /** The server side went away without a close frame. */
  drop() {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: '' });
  }
}

export const ORCH = '0191a0b2-0000-7000-8000-000000000001';
export const NOW = '2026-01-02T03:04:05.000000Z';

export function userRow(id, text, turnId) {
  return {
    id, orchestrator_agent_id: ORCH, sender_type: 'user', receiver_type: 'orchestrator', message: text, agent_id: null,
    metadata: { turn_id: turnId }, created_at: NOW, updated_at: NOW,
  };
}

export function replyRow(id, text, turnId, extra = {}) {
  return {
    id, orchestrator_agent_id: ORCH, sender_type: 'orchestrator', receiver_type: 'user', message: text, agent_id: null,
    metadata: { type: 'text', turn_id: turnId, ...extra }, created_at: NOW, updated_at: NOW,
  };
}

/** The events one turn publishes, in the engine's order (docs/turn-engine.md), numbered from `firstSeq`. */
export function turnEvents({ firstSeq, user, reply, chunks, turnId, thinking }) {
  const events = [];
  let seq = firstSeq;
  const push = (event) => events.push({ seq: seq++, ...event });
  push({ type: 'orchestrator_chat', message: user });
  push({ type: 'chat_typing', orchestrator_agent_id: ORCH, is_typing: true });
  if (thinking) push({ type: 'thinking_block', data: { id: thinking.id, orchestrator_agent_id: ORCH, turn_id: turnId, thinking: thinking.text, timestamp: NOW } });
  for (const chunk of chunks) push({ type: 'chat_stream', orchestrator_agent_id: ORCH, message_id: reply.id, chunk, is_complete: false });
  push({ type: 'chat_stream', orchestrator_agent_id: ORCH, message_id: reply.id, chunk: '', is_complete: true });
  push({ type: 'orchestrator_chat', message: reply });
  push({ type: 'orchestrator_updated', orchestrator: { id: ORCH, input_tokens: 12, output_tokens: chunks.length, total_cost: 0.001 } });
  push({ type: 'chat_typing', orchestrator_agent_id: ORCH, is_typing: false });
  push({ type: 'turn_complete', orchestrator_agent_id: ORCH, turn_id: turnId, status: 'success' });
  return events;
}
