import { requestErrorTitle } from './errorMessages';

/**
 * A failed request, with the host's error code and a message a person can act
 * on. Error bodies are `{status: "error", error: {code, message}}`
 * (docs/websocket-transport.md); anything else still becomes a readable error.
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The HTTP status; null when no answer came back. */
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Whether trying the same request again later can succeed. */
  get transient(): boolean {
    return this.status === null || this.status === 503 || this.status === 504 || this.status === 502;
  }
}

export interface Api {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
}

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export function createApi(baseUrl = '', fetchImpl: Fetch = (input, init) => fetch(input, init), timeoutMs = 30_000): Api {
  async function request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response: Response;
    try {
      const init: RequestInit = { method, signal: controller.signal, credentials: 'same-origin', headers: { Accept: 'application/json' } };
      if (body !== undefined) {
        init.headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
        init.body = JSON.stringify(body);
      }
      response = await fetchImpl(`${baseUrl}${path}`, init);
    } catch (error) {
      const timedOut = controller.signal.aborted;
      throw new ApiError(
        timedOut ? 'timeout' : 'network',
        timedOut
          ? `${requestErrorTitle('timeout')} (no answer from ${path} within ${Math.round(timeoutMs / 1000)} s).`
          : `${requestErrorTitle('network')}. Check that orch is running, then try again.`,
        null,
      );
    } finally {
      clearTimeout(timer);
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) throw errorFromBody(response.status, parsed, text);
    if (parsed === undefined || typeof parsed !== 'object' || parsed === null) {
      throw new ApiError('bad_response', `${requestErrorTitle('bad_response')} for ${path} (status ${response.status}, not JSON).`, response.status);
    }
    return parsed as T;
  }

  return {
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body),
    delete: (path) => request('DELETE', path),
  };
}

function errorFromBody(status: number, body: unknown, text: string): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error && typeof error.code === 'string') {
    const detail = typeof error.message === 'string' && error.message.length > 0 ? `: ${error.message}` : '';
    return new ApiError(error.code, `${requestErrorTitle(error.code)}${detail}`, status);
  }
  const snippet = text.trim().slice(0, 200);
  return new ApiError(`http_${status}`, `The host answered ${status}${snippet ? `: ${snippet}` : ''}.`, status);
}
