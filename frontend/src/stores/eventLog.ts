import type { HostEvent } from '../types';

/**
 * The middle column: what the host publishes, one line per event, except
 * token chunks, which fold into one line per reply (hundreds of lines a
 * second would say nothing and cost a lot). Capped, so a long session or a
 * flood cannot grow the page without bound.
 */
export type EventCategory = 'chat' | 'stream' | 'thinking' | 'tool' | 'turn' | 'error' | 'connection';

export interface EventEntry {
  key: string;
  seq: number | null;
  type: string;
  category: EventCategory;
  summary: string;
  time: string;
  /** For a streaming reply's line: the chunks and characters folded into it. */
  chunks?: number;
  chars?: number;
}

export interface EventLog {
  readonly entries: readonly EventEntry[];
  /** Events seen in total, including the ones folded or dropped by the cap. */
  readonly total: number;
  /** Connection lines written so far (their keys). */
  readonly notes: number;
}

export const maxEventEntries = 1000;

export const emptyEventLog: EventLog = { entries: [], total: 0, notes: 0 };

function preview(text: string, length = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length)}…` : flat;
}

function short(id: string | null | undefined): string {
  return id ? id.slice(0, 8) : '—';
}

/** One line for an event (chat_stream lines are folded per reply by `appendHostEvents`). */
export function describeEvent(event: HostEvent): Omit<EventEntry, 'key' | 'time'> & { time?: string } {
  const base = { seq: event.seq, type: event.type };
  switch (event.type) {
    case 'orchestrator_chat': {
      const row = event.message;
      const who = row.sender_type === 'user' ? 'user → orchestrator' : `${row.sender_type} → ${row.receiver_type}`;
      return { ...base, category: 'chat', summary: `${who}: ${preview(row.message)}`, time: row.created_at };
    }
    case 'chat_stream':
      return { ...base, category: 'stream', summary: `reply ${short(event.message_id)} streaming` };
    case 'chat_typing':
      return { ...base, category: 'turn', summary: event.is_typing ? 'orchestrator is working' : 'orchestrator is idle' };
    case 'thinking_block':
      return { ...base, category: 'thinking', summary: `thinking: ${preview(event.data.thinking)}`, time: event.data.timestamp };
    case 'tool_use_block':
      return { ...base, category: 'tool', summary: `tool ${event.data.tool_name}: ${preview(JSON.stringify(event.data.tool_input ?? {}))}`, time: event.data.timestamp };
    case 'tool_result_block': {
      const content = typeof event.data.content === 'string' ? event.data.content : JSON.stringify(event.data.content ?? '');
      return { ...base, category: event.data.is_error ? 'error' : 'tool', summary: `tool result${event.data.is_error ? ' (error)' : ''}: ${preview(content)}`, time: event.data.timestamp };
    }
    case 'orchestrator_updated': {
      const o = event.orchestrator;
      return { ...base, category: 'turn', summary: `usage: ${o.input_tokens ?? '?'} in / ${o.output_tokens ?? '?'} out tokens, $${(o.total_cost ?? 0).toFixed(4)} total` };
    }
    case 'turn_queued':
      return { ...base, category: 'turn', summary: `turn ${short(event.turn_id)} queued at position ${event.position}` };
    case 'turn_complete':
      return { ...base, category: event.status === 'success' ? 'turn' : 'error', summary: `turn ${short(event.turn_id)} ${event.status}` };
    case 'error':
      return { ...base, category: 'error', summary: `${event.error_class}: ${preview(event.message)}` };
    case 'backend_retry': {
      const d = event.detail ?? {};
      return { ...base, category: 'error', summary: `API retry ${d.attempt ?? '?'}/${d.max_retries ?? '?'} in ${d.delay_ms ?? '?'} ms${d.error ? `: ${preview(String(d.error))}` : ''}` };
    }
    default:
      return { ...base, category: 'turn', summary: (event as { type: string }).type };
  }
}

function capped(entries: EventEntry[]): EventEntry[] {
  return entries.length > maxEventEntries ? entries.slice(entries.length - maxEventEntries) : entries;
}

export function appendHostEvents(log: EventLog, events: readonly HostEvent[], now: string): EventLog {
  if (events.length === 0) return log;
  const entries = [...log.entries];
  // Where each streaming reply's line is, so its chunks fold into it.
  const streamLines = new Map<string, number>();
  entries.forEach((entry, index) => {
    if (entry.category === 'stream') streamLines.set(entry.key, index);
  });
  for (const event of events) {
    if (event.type === 'chat_stream') {
      const key = `stream:${event.message_id}`;
      const at = streamLines.get(key);
      const previous = at === undefined ? undefined : entries[at];
      const ended = event.block_complete === true || event.is_complete;
      const chunks = (previous?.chunks ?? 0) + (ended ? 0 : 1);
      const chars = (previous?.chars ?? 0) + event.chunk.length;
      const state = event.withdrawn ? 'withdrawn' : ended ? 'complete' : 'streaming';
      const summary = `reply ${short(event.message_id)} ${state} · ${chunks} chunks · ${chars} chars`;
      const entry: EventEntry = { key, seq: event.seq, type: 'chat_stream', category: 'stream', summary, time: previous?.time ?? now, chunks, chars };
      if (at !== undefined) entries[at] = entry;
      else {
        streamLines.set(key, entries.length);
        entries.push(entry);
      }
      continue;
    }
    const described = describeEvent(event);
    entries.push({ ...described, key: `seq:${event.seq}`, time: described.time ?? event.timestamp ?? now });
  }
  return { entries: capped(entries), total: log.total + events.length, notes: log.notes };
}

/** A line about the connection itself (connected, resumed, lost). */
export function appendConnectionNote(log: EventLog, summary: string, now: string): EventLog {
  const entry: EventEntry = { key: `note:${log.notes + 1}`, seq: null, type: 'connection', category: 'connection', summary, time: now };
  return { entries: capped([...log.entries, entry]), total: log.total, notes: log.notes + 1 };
}
