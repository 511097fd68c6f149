import { askerName, type PermissionInbox } from './permissions';
import { stateLabel, type Team, words } from './team';

/**
 * What in the team changed that a person may want to hear about: read out to
 * screen readers (every change), and, for the two that ask for the person
 * (an agent needs them, a command finished), a browser notification and a
 * count in the tab's title while the tab is hidden. Pure.
 */
export interface TeamChange {
  kind: 'needs_you' | 'finished' | 'status' | 'created' | 'deleted';
  agentId: string;
  name: string;
  /** A sentence for the announcer and the notification's body. */
  text: string;
}

/**
 * The changes from one team to the next; none on the first load (nothing is
 * new when the page opens). A finished command is seen by its result row (the
 * count grows), not by the state, which may pass running → idle between two
 * renders.
 */
export function teamChanges(previous: Team, next: Team): TeamChange[] {
  if (!previous.loaded || previous === next) return [];
  const changes: TeamChange[] = [];
  for (const id of next.order) {
    const member = next.members.get(id);
    if (!member) continue;
    const before = previous.members.get(id);
    const base = { agentId: id, name: member.name };
    if (!before) {
      changes.push({ ...base, kind: 'created', text: `Agent ${member.name} was created.` });
      continue;
    }
    if (member.finishedCommands > before.finishedCommands) {
      const outcome = member.lastOutcome && member.lastOutcome !== 'success' ? ` (${words(member.lastOutcome)})` : '';
      changes.push({ ...base, kind: 'finished', text: `${member.name} finished a command${outcome}.` });
    }
    if (before.status !== member.status) {
      if (member.status === 'needs_input') changes.push({ ...base, kind: 'needs_you', text: `${member.name} needs you.` });
      else changes.push({ ...base, kind: 'status', text: `${member.name}: ${stateLabel(member)}.` });
    }
  }
  for (const [id, member] of previous.members) {
    if (!next.members.has(id)) changes.push({ kind: 'deleted', agentId: id, name: member.name, text: `Agent ${member.name} was deleted.` });
  }
  return changes;
}

/**
 * New permission requests, read out with the tool they want. Only the
 * orchestrator's ask for the person here: an asking agent already does so
 * through its state (needs_input, in `teamChanges`).
 */
export function permissionChanges(previous: PermissionInbox, next: PermissionInbox, team: Team): TeamChange[] {
  if (!previous.loaded || previous.pending === next.pending) return [];
  const changes: TeamChange[] = [];
  for (const [id, request] of next.pending) {
    if (previous.pending.has(id)) continue;
    const name = askerName(request, team.members);
    changes.push({
      kind: request.agent_id === null ? 'needs_you' : 'status',
      agentId: request.agent_id ?? 'orchestrator',
      name,
      text: `${name} asks to use ${request.tool_name}: answer in the permission inbox.`,
    });
  }
  return changes;
}

/** The changes that ask for the person: a notification and the title's count. */
export function needsAttention(change: TeamChange): boolean {
  return change.kind === 'needs_you' || change.kind === 'finished';
}

export type NotificationPermissionState = 'default' | 'granted' | 'denied' | 'unsupported';

/** A browser notification only when the person turned them on, the browser allows them, and they are not looking. */
export function shouldNotify(change: TeamChange, settings: { enabled: boolean; permission: NotificationPermissionState; hidden: boolean }): boolean {
  return settings.enabled && settings.permission === 'granted' && settings.hidden && needsAttention(change);
}

/** The unseen count after some changes: it grows while the tab is hidden and is cleared when it shows. */
export function unseenAfter(unseen: number, changes: readonly TeamChange[], hidden: boolean): number {
  if (!hidden) return 0;
  return unseen + changes.filter(needsAttention).length;
}

/** "(2) Orch · orchestrator console", or the plain title with nothing unseen. */
export function titleWithBadge(base: string, unseen: number): string {
  return unseen > 0 ? `(${unseen}) ${base}` : base;
}

/** The notifications toggle in words, given what the browser allows. */
export function notificationsLabel(enabled: boolean, permission: NotificationPermissionState): string {
  if (permission === 'unsupported') return 'Notifications: not available';
  if (permission === 'denied') return 'Notifications: blocked';
  return enabled && permission === 'granted' ? 'Notifications: on' : 'Notifications: off';
}
