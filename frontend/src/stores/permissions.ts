import type { HostEvent, PermissionRequest } from '../types';

/**
 * The permission inbox (docs/permissions.md): the tool calls the orchestrator and
 * its agents wait to be allowed. Loaded from `GET /inbox`, kept current by
 * `permission_request` / `permission_resolved` events; answered items leave it.
 */
export interface PermissionInbox {
  loaded: boolean;
  /** Pending requests by id. */
  pending: ReadonlyMap<string, PermissionRequest>;
  /** Ids the person ticked for a batch answer. */
  selected: ReadonlySet<string>;
  /** Ids with an answer on its way (their buttons are disabled until the host replies). */
  answering: ReadonlySet<string>;
  /** The last answer the host refused, per id (e.g. "already allowed by a person"). */
  errors: ReadonlyMap<string, string>;
  /** The most recent resolutions, newest first, so the inbox can say what became of an item. */
  recent: readonly PermissionRequest[];
}

export const emptyPermissionInbox: PermissionInbox = {
  loaded: false,
  pending: new Map(),
  selected: new Set(),
  answering: new Set(),
  errors: new Map(),
  recent: [],
};

const recentLimit = 20;

/**
 * The host's pending list replaces ours (it is the truth after a reconnect); ticks on vanished
 * items go. `recent` (the audit log's newest, e.g. what a restart expired) joins what we heard.
 */
export function permissionsLoaded(inbox: PermissionInbox, requests: readonly PermissionRequest[], recent: readonly PermissionRequest[] = []): PermissionInbox {
  const pending = new Map(requests.filter((request) => request.status === 'pending').map((request) => [request.id, request]));
  const heard = new Set(inbox.recent.map((request) => request.id));
  const merged = [...inbox.recent, ...recent.filter((request) => !heard.has(request.id))]
    .sort((a, b) => (b.decided_at ?? b.created_at).localeCompare(a.decided_at ?? a.created_at))
    .slice(0, recentLimit);
  return { ...inbox, loaded: true, pending, selected: keep(inbox.selected, pending), answering: keep(inbox.answering, pending), recent: merged };
}

export function applyPermissionEvents(inbox: PermissionInbox, events: readonly HostEvent[]): PermissionInbox {
  let next = inbox;
  for (const event of events) {
    if (event.type === 'permission_request') {
      if (event.request.status !== 'pending' || next.pending.has(event.request.id)) continue;
      next = { ...next, pending: new Map(next.pending).set(event.request.id, event.request) };
    } else if (event.type === 'permission_resolved') {
      next = resolved(next, event.request);
    }
  }
  return next;
}

/** An answer the host accepted leaves at once, without waiting for its event (which then finds nothing to do). */
export function permissionResolved(inbox: PermissionInbox, request: PermissionRequest): PermissionInbox {
  return resolved(inbox, request);
}

function resolved(inbox: PermissionInbox, request: PermissionRequest): PermissionInbox {
  if (!inbox.pending.has(request.id) && inbox.recent.some((r) => r.id === request.id)) return inbox;
  const pending = new Map(inbox.pending);
  pending.delete(request.id);
  const errors = new Map(inbox.errors);
  errors.delete(request.id);
  return {
    ...inbox,
    pending,
    selected: keep(inbox.selected, pending),
    answering: keep(inbox.answering, pending),
    errors,
    recent: [request, ...inbox.recent.filter((r) => r.id !== request.id)].slice(0, recentLimit),
  };
}

export function permissionSelected(inbox: PermissionInbox, id: string, selected: boolean): PermissionInbox {
  if (!inbox.pending.has(id) || inbox.selected.has(id) === selected) return inbox;
  const next = new Set(inbox.selected);
  if (selected) next.add(id);
  else next.delete(id);
  return { ...inbox, selected: next };
}

export function allPermissionsSelected(inbox: PermissionInbox, selected: boolean): PermissionInbox {
  return { ...inbox, selected: selected ? new Set(inbox.pending.keys()) : new Set() };
}

export function permissionsAnswering(inbox: PermissionInbox, ids: readonly string[], answering: boolean): PermissionInbox {
  const next = new Set(inbox.answering);
  const errors = new Map(inbox.errors);
  for (const id of ids) {
    if (answering && inbox.pending.has(id)) next.add(id);
    else next.delete(id);
    if (answering) errors.delete(id);
  }
  return { ...inbox, answering: next, errors };
}

export function permissionFailed(inbox: PermissionInbox, id: string, message: string): PermissionInbox {
  const answering = new Set(inbox.answering);
  answering.delete(id);
  return { ...inbox, answering, errors: new Map(inbox.errors).set(id, message) };
}

function keep(ids: ReadonlySet<string>, pending: ReadonlyMap<string, unknown>): ReadonlySet<string> {
  for (const id of ids) if (!pending.has(id)) return new Set([...ids].filter((kept) => pending.has(kept)));
  return ids;
}

// ---- selectors ----

/** Oldest first: the request that has waited longest is answered first (and is the one `A` answers). */
export function pendingRequests(inbox: PermissionInbox): PermissionRequest[] {
  return [...inbox.pending.values()].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
}

/** How a tool call reads to a person: the command for Bash, the change for Edit and Write, else the JSON. */
export type ReadableInput =
  | { kind: 'command'; command: string; description: string | null }
  | { kind: 'edit'; path: string; removed: string; added: string }
  | { kind: 'write'; path: string; content: string }
  | { kind: 'path'; path: string }
  | { kind: 'json'; text: string };

export function readableInput(toolName: string, input: Record<string, unknown>): ReadableInput {
  const text = (key: string): string | null => (typeof input[key] === 'string' ? (input[key] as string) : null);
  const path = text('file_path') ?? text('notebook_path') ?? text('path');
  switch (toolName) {
    case 'Bash': {
      const command = text('command');
      if (command !== null) return { kind: 'command', command, description: text('description') };
      break;
    }
    case 'Edit': {
      const removed = text('old_string');
      const added = text('new_string');
      if (path !== null && removed !== null && added !== null) return { kind: 'edit', path, removed, added };
      break;
    }
    case 'Write': {
      const content = text('content');
      if (path !== null && content !== null) return { kind: 'write', path, content };
      break;
    }
    case 'Read':
    case 'NotebookEdit':
      if (path !== null) return { kind: 'path', path };
      break;
  }
  return { kind: 'json', text: JSON.stringify(input, null, 2) };
}

/** A line-by-line diff of an Edit (lines only in the old text first, then lines only in the new), enough to read a change. */
export function editDiff(removed: string, added: string): Array<{ sign: '-' | '+' | ' '; text: string }> {
  const before = removed.split('\n');
  const after = added.split('\n');
  let prefix = 0;
  while (prefix < before.length && prefix < after.length && before[prefix] === after[prefix]) prefix += 1;
  let suffix = 0;
  while (suffix < before.length - prefix && suffix < after.length - prefix && before[before.length - 1 - suffix] === after[after.length - 1 - suffix]) suffix += 1;
  return [
    ...before.slice(0, prefix).map((text) => ({ sign: ' ' as const, text })),
    ...before.slice(prefix, before.length - suffix).map((text) => ({ sign: '-' as const, text })),
    ...after.slice(prefix, after.length - suffix).map((text) => ({ sign: '+' as const, text })),
    ...before.slice(before.length - suffix).map((text) => ({ sign: ' ' as const, text })),
  ];
}

/** Who asks, in words: the agent's name, or the orchestrator. */
export function askerName(request: PermissionRequest, names: ReadonlyMap<string, { name: string }>): string {
  if (request.agent_id === null) return 'Orchestrator';
  return names.get(request.agent_id)?.name ?? 'an agent';
}

/** What became of a request, in words ("allowed by a person for this agent", "denied by the rule Bash(rm *)"). */
export function describeResolution(request: PermissionRequest): string {
  const verb = request.status === 'allowed' ? 'allowed' : request.status === 'denied' ? 'denied' : request.status;
  const by = request.decided_by === 'person'
    ? 'by a person'
    : request.decided_by === 'rule'
      ? request.decision.grant ? `by an earlier allow for this ${request.decision.grant}` : `by the rule ${request.decision.rule ?? ''}`.trim()
      : request.decided_by === 'timeout'
        ? 'after waiting too long'
        : request.decided_by === 'host'
          ? `by the host${request.decision.reason ? ` (${request.decision.reason.replace(/_/g, ' ')})` : ''}`
          : '';
  const scope = request.decision.scope === 'agent' ? ' for this agent' : request.decision.scope === 'template' ? ' for this template' : '';
  return [verb + scope, by].filter((part) => part.length > 0).join(' ');
}
