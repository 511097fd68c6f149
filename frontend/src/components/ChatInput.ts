import { h, setText } from '../lib/dom';
import { isWorking, type OrchestratorState } from '../stores/orchestratorState';
import type { OrchestratorStore } from '../stores/orchestratorStore';

/**
 * The message box inside the chat column: Enter sends, Shift+Enter starts a
 * new line (and Enter while an input method is composing does neither), Stop
 * interrupts the running turn. Sending is allowed while the WebSocket
 * reconnects: the message goes over HTTP and its reply is resumed.
 */
export class ChatInput {
  readonly element: HTMLFormElement;
  readonly textarea: HTMLTextAreaElement;
  private readonly send: HTMLButtonElement;
  private readonly stop: HTMLButtonElement;
  private readonly toast: HTMLElement;

  constructor(private readonly store: OrchestratorStore) {
    this.textarea = h('textarea', {
      id: 'chat-input',
      class: 'chat-textarea',
      rows: 2,
      placeholder: 'Message the orchestrator…',
      'aria-describedby': 'chat-input-hint chat-toast',
      autocomplete: 'off',
    });
    this.send = h('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'send' }, 'Send');
    this.stop = h('button', { type: 'button', class: 'button button--danger', hidden: true, 'data-testid': 'stop' }, 'Stop');
    this.toast = h('p', { id: 'chat-toast', class: 'chat-toast', role: 'status' });
    this.element = h(
      'form',
      { class: 'chat-input', 'aria-label': 'Send a message' },
      h('label', { for: 'chat-input', class: 'visually-hidden' }, 'Message'),
      this.textarea,
      h('div', { class: 'chat-input-bar' },
        h('p', { id: 'chat-input-hint', class: 'hint' }, 'Enter to send · Shift+Enter for a new line · Ctrl+K to focus'),
        this.toast,
        h('div', { class: 'chat-input-buttons' }, this.stop, this.send)),
    );
    this.element.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    this.textarea.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && !event.altKey && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        this.submit();
      } else if (event.key === 'Escape' && store.state.toast) {
        store.dismissToast();
      }
    });
    this.textarea.addEventListener('input', () => this.autosize());
    this.stop.addEventListener('click', () => void store.interrupt());
  }

  private submit(): void {
    if (this.store.sendUserMessage(this.textarea.value)) {
      this.textarea.value = '';
      this.autosize();
    }
    this.textarea.focus();
  }

  /** Grows with the text up to a limit (CSS max-height), so long messages stay visible while written. */
  private autosize(): void {
    this.textarea.style.height = 'auto';
    this.textarea.style.height = `${this.textarea.scrollHeight}px`;
  }

  focus(): void {
    this.textarea.focus();
  }

  render(state: OrchestratorState, previous: OrchestratorState | null): void {
    if (previous !== null && state.toast === previous.toast && state.stopping === previous.stopping && state.chat === previous.chat && state.orchestrator === previous.orchestrator) return;
    setText(this.toast, state.toast ?? '');
    const working = isWorking(state);
    this.stop.hidden = !working;
    this.stop.disabled = state.stopping;
    setText(this.stop, state.stopping ? 'Stopping…' : 'Stop');
    this.send.disabled = state.orchestrator === null;
  }
}
