import type {
  GetOrchestratorResponse,
  HealthResponse,
  InterruptResponse,
  LoadChatResponse,
  SendChatResponse,
} from '../types';
import type { Api } from './api';
import { ChatSocket, type ChatSocketOptions } from './chatSocket';

/**
 * The host's chat API (docs/websocket-transport.md): the HTTP routes, and the
 * WebSocket that streams the replies. Network only: no state of its own.
 */
export class ChatService {
  constructor(
    private readonly api: Api,
    private readonly location: { protocol: string; host: string } = window.location,
  ) {}

  getOrchestrator(): Promise<GetOrchestratorResponse> {
    return this.api.get('/get_orchestrator');
  }

  /** The newest `limit` rows older than `before` (a row id), oldest first. */
  loadChatHistory(orchestratorAgentId: string, limit: number, before?: string): Promise<LoadChatResponse> {
    return this.api.post('/load_chat', before ? { orchestrator_agent_id: orchestratorAgentId, limit, before } : { orchestrator_agent_id: orchestratorAgentId, limit });
  }

  sendMessage(orchestratorAgentId: string, message: string): Promise<SendChatResponse> {
    return this.api.post('/send_chat', { orchestrator_agent_id: orchestratorAgentId, message });
  }

  interrupt(orchestratorAgentId: string): Promise<InterruptResponse> {
    return this.api.post('/interrupt', { orchestrator_agent_id: orchestratorAgentId });
  }

  health(): Promise<HealthResponse> {
    return this.api.get('/health');
  }

  get webSocketUrl(): string {
    return `${this.location.protocol === 'https:' ? 'wss:' : 'ws:'}//${this.location.host}/ws`;
  }

  connectWebSocket(options: Omit<ChatSocketOptions, 'url'>): ChatSocket {
    return new ChatSocket({ url: this.webSocketUrl, ...options });
  }
}
