import type {
  AgentLogsResponse,
  CommandAgentResponse,
  DeleteAgentResponse,
  InterruptAgentResponse,
  ListAgentsResponse,
} from '../types';
import type { Api } from './api';

/** How a command meets a busy agent (docs/agents.md, `command_agent`). */
export type IfBusy = 'queue' | 'interrupt' | 'reject';

/**
 * The host's team API (docs/websocket-transport.md, the `/agents` routes).
 * Network only: the store keeps the state and the views never call this.
 */
export class TeamService {
  constructor(private readonly api: Api) {}

  listAgents(): Promise<ListAgentsResponse> {
    return this.api.get('/list_agents');
  }

  /** The rows after `sinceSeq`, oldest first, at most `limit` (1…1000). */
  agentLogs(agentId: string, sinceSeq: number, limit: number): Promise<AgentLogsResponse> {
    return this.api.get(`/agents/${encodeURIComponent(agentId)}/logs?since_seq=${sinceSeq}&limit=${limit}`);
  }

  command(agentId: string, command: string, ifBusy: IfBusy = 'queue'): Promise<CommandAgentResponse> {
    return this.api.post(`/agents/${encodeURIComponent(agentId)}/command`, { command, if_busy: ifBusy });
  }

  interrupt(agentId: string): Promise<InterruptAgentResponse> {
    return this.api.post(`/agents/${encodeURIComponent(agentId)}/interrupt`, {});
  }

  /** Stops its process (the answer comes once the backend confirmed it is gone), then archives it. */
  remove(agentId: string): Promise<DeleteAgentResponse> {
    return this.api.delete(`/agents/${encodeURIComponent(agentId)}`);
  }
}
