import { AgentList } from './components/AgentList';
import { AppHeader } from './components/AppHeader';
import { EventStream } from './components/EventStream';
import { LiveAnnouncer } from './components/LiveAnnouncer';
import { MobileTabs } from './components/MobileTabs';
import { OrchestratorChat } from './components/OrchestratorChat';
import { PermissionInboxPanel } from './components/PermissionInboxPanel';
import { TeamNotifications } from './components/TeamNotifications';
import { required } from './lib/dom';
import { loadHighlighter } from './lib/highlighter';
import { animationFrameScheduler } from './lib/frameScheduler';
import { createApi } from './services/api';
import { ChatService } from './services/chatService';
import { PermissionService } from './services/permissionService';
import { TeamService } from './services/teamService';
import { debugSnapshot } from './stores/debugSnapshot';
import { OrchestratorStore } from './stores/orchestratorStore';

/** Wires the store, the services and the views to the page shell in index.html. */
function start(): void {
  const api = createApi();
  const store = new OrchestratorStore({ chat: new ChatService(api), team: new TeamService(api), permissions: new PermissionService(api), scheduler: animationFrameScheduler() });

  const layout = required<HTMLElement>(document, '#columns');
  const columns = {
    agents: required<HTMLElement>(document, '#agents-column'),
    events: required<HTMLElement>(document, '#events-column'),
    chat: required<HTMLElement>(document, '#chat-column'),
  };
  const header = required<HTMLElement>(document, '#app-header');
  const inbox = new PermissionInboxPanel(header, store);
  new AppHeader(header, store, [inbox.button]);
  const announcer = new LiveAnnouncer(document.body, store);
  const notifications = new TeamNotifications(store, announcer);
  new AgentList(columns.agents, store, [notifications.toggle]);
  new EventStream(columns.events, store);
  const chat = new OrchestratorChat(columns.chat, store);
  const tabs = new MobileTabs(required(document, '#tabs'), layout, columns);

  // Ctrl+K / ⌘K focuses the message box from anywhere (showing the chat tab on a phone).
  document.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'k') {
      event.preventDefault();
      tabs.select('chat', false);
      chat.input.focus();
    }
  });
  window.addEventListener('online', () => store.reconnectNow());
  window.addEventListener('pagehide', () => store.dispose());

  // Read-only view for the browser tests and for debugging from the console.
  Object.defineProperty(window, 'orchDebug', { value: { snapshot: () => debugSnapshot(store) } });

  // Interactive: the shell and history are on screen and the input takes keys.
  const unsubscribe = store.store.subscribe((state) => {
    if (!state.history.loaded) return;
    performance.mark('orch:interactive');
    queueMicrotask(() => unsubscribe());
    window.setTimeout(() => loadHighlighter(), 0);
  });
  void store.initialize();
}

start();
