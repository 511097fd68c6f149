import type { AnswerPermissionResponse, AnswerPermissionsResponse, PermissionAnswer, PermissionsResponse } from '../types';
import type { Api } from './api';

/**
 * The host's permission inbox (docs/permissions.md, the `/inbox` routes).
 * Network only: the store keeps the state and the views never call this.
 */
export class PermissionService {
  constructor(private readonly api: Api) {}

  /** The pending requests, newest first. */
  inbox(limit = 1000): Promise<PermissionsResponse> {
    return this.api.get(`/inbox?limit=${limit}`);
  }

  /** The audit log: every decided request, newest first. */
  log(limit: number): Promise<PermissionsResponse> {
    return this.api.get(`/permissions/log?limit=${limit}`);
  }

  answer(id: string, answer: PermissionAnswer): Promise<AnswerPermissionResponse> {
    return this.api.post(`/inbox/${encodeURIComponent(id)}`, answer);
  }

  /** Several answers in one request; each succeeds or fails on its own. */
  answerAll(answers: Array<PermissionAnswer & { id: string }>): Promise<AnswerPermissionsResponse> {
    return this.api.post('/inbox/batch', { answers });
  }
}
