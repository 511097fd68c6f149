import { h, setAttribute, setText } from '../lib/dom';
import type { OrchestratorStore } from '../stores/orchestratorStore';
import {
  type NotificationPermissionState,
  notificationsLabel,
  permissionChanges,
  shouldNotify,
  teamChanges,
  titleWithBadge,
  unseenAfter,
} from '../stores/teamAttention';
import type { LiveAnnouncer } from './LiveAnnouncer';

/** The person's choice, kept across visits: notifications are off until they turn them on. */
const enabledKey = 'orch.notifications';

/**
 * Tells the person what the team did: every change is read out to screen
 * readers; an agent that needs them or a finished command, while the tab is
 * hidden, counts in the tab's title and (once they turned it on, which asks
 * the browser's permission) shows a browser notification. The decisions are
 * stores/teamAttention.ts; this is the browser's side of them.
 */
export class TeamNotifications {
  /** The on/off button (the Agents column shows it in its header). */
  readonly toggle: HTMLButtonElement;
  private readonly baseTitle = document.title;
  private enabled: boolean;
  private unseen = 0;

  constructor(store: OrchestratorStore, private readonly announcer: LiveAnnouncer) {
    this.enabled = readEnabled() && permission() === 'granted';
    this.toggle = h('button', { type: 'button', class: 'button button--small notify-toggle', 'data-testid': 'notify-toggle' });
    this.toggle.addEventListener('click', () => void this.flip());
    this.renderToggle();
    store.store.subscribe((state, previous) => {
      if (previous === null) return;
      const changes = state.team === previous.team ? [] : teamChanges(previous.team, state.team);
      if (state.permissions !== previous.permissions) changes.push(...permissionChanges(previous.permissions, state.permissions, state.team));
      this.heard(changes);
    });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) this.setUnseen(0);
    });
  }

  private heard(changes: ReturnType<typeof teamChanges>): void {
    if (changes.length === 0) return;
    const hidden = document.hidden;
    this.announcer.say(changes.map((change) => change.text).join(' '), changes.some((change) => change.kind === 'needs_you'));
    for (const change of changes) {
      if (!shouldNotify(change, { enabled: this.enabled, permission: permission(), hidden })) continue;
      try {
        // One notification per agent at a time (the tag replaces an older one of it).
        new Notification(change.kind === 'needs_you' ? `${change.name} needs you` : `${change.name}: command finished`, { body: change.text, tag: `orch-${change.agentId}` });
      } catch {
        // Some browsers only allow notifications from a service worker: the title's count still tells.
      }
    }
    this.setUnseen(unseenAfter(this.unseen, changes, hidden));
  }

  private setUnseen(count: number): void {
    this.unseen = count;
    const title = titleWithBadge(this.baseTitle, count);
    if (document.title !== title) document.title = title;
  }

  /** First use asks the browser; after that it is the person's switch. */
  private async flip(): Promise<void> {
    if (this.enabled) {
      this.enabled = false;
    } else if (permission() === 'granted') {
      this.enabled = true;
    } else if (permission() === 'default') {
      this.enabled = (await Notification.requestPermission()) === 'granted';
    }
    writeEnabled(this.enabled);
    this.renderToggle();
  }

  private renderToggle(): void {
    const state = permission();
    setText(this.toggle, notificationsLabel(this.enabled, state));
    setAttribute(this.toggle, 'aria-pressed', String(this.enabled));
    this.toggle.disabled = state === 'unsupported' || state === 'denied';
    this.toggle.title = state === 'denied'
      ? "Notifications are blocked for this page in the browser's site settings"
      : 'A browser notification when an agent needs you or a command finishes while this tab is hidden';
  }
}

function permission(): NotificationPermissionState {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

function readEnabled(): boolean {
  try {
    return localStorage.getItem(enabledKey) === 'on';
  } catch {
    return false;
  }
}

function writeEnabled(enabled: boolean): void {
  try {
    localStorage.setItem(enabledKey, enabled ? 'on' : 'off');
  } catch {
    // not kept: asked again next visit
  }
}
