// Readable words for the failures the host reports. The host's own message is
// kept (it says what went wrong and what to do); the title says it in a few
// words. The original showed nothing at all for most of these.

export interface DescribedError {
  level: 'error' | 'info';
  title: string;
  message: string;
  offerRetry: boolean;
}

/** Titles for the backend's error classes (docs/claude-backend.md "Failures", docs/turn-engine.md). */
const turnErrorTitles: Record<string, string> = {
  interrupted: 'Stopped',
  cancelled: 'Not answered',
  host_stopped: 'Cut off: orch stopped',
  cli_not_found: 'Claude Code is not installed on the host',
  cli_spawn_failed: 'Claude Code could not be started',
  authentication_failed: 'The host could not sign in to the Claude API',
  rate_limited: 'The Claude API is rate limiting',
  overloaded: 'The Claude API is overloaded',
  request_too_large: 'The conversation is too large for the model',
  api_error: 'The Claude API failed',
  cli_exited: 'Claude Code stopped unexpectedly',
  timeout: 'The reply took too long',
  max_turns: 'The orchestrator reached its step limit',
  session_not_found: 'The conversation session was not found',
  session_in_use: 'The conversation session is busy',
  store_unavailable: 'The database is unavailable',
  backend_unavailable: 'The model backend is unavailable',
};

export function describeTurnError(errorClass: string, message: string, retryable: boolean): DescribedError {
  if (errorClass === 'interrupted') {
    return { level: 'info', title: 'Stopped', message: 'You stopped this reply. What had arrived is kept.', offerRetry: true };
  }
  const title = turnErrorTitles[errorClass] ?? 'The orchestrator failed';
  const text = message.trim().length > 0 ? message.trim() : `The host reported "${errorClass}".`;
  // Store outages are reported while the reply keeps streaming: retrying would ask twice.
  const offerRetry = errorClass !== 'store_unavailable' && (retryable || errorClass === 'cancelled' || errorClass === 'api_error');
  return { level: 'error', title, message: text, offerRetry };
}

/** Titles for HTTP/WebSocket request errors (docs/websocket-transport.md, "Status codes"). */
const requestErrorTitles: Record<string, string> = {
  empty_message: 'The message is empty',
  message_too_large: 'The message is too long',
  invalid_uuid: 'This page has a malformed conversation id',
  unknown_orchestrator: 'This conversation is not served by the host any more',
  store_unavailable: 'The database is unavailable, so the message was not saved',
  backend_unavailable: 'The model backend is unavailable',
  origin_not_allowed: 'The host refused this page (origin not allowed)',
  host_not_allowed: 'The host refused this address',
  missing_token: 'Sign-in required',
  invalid_token: 'Sign-in expired',
  body_too_large: 'The message is too long',
  network: 'The host cannot be reached',
  timeout: 'The host did not answer in time',
  bad_response: 'The host sent an unexpected answer',
};

export function requestErrorTitle(code: string): string {
  return requestErrorTitles[code] ?? 'The host refused the request';
}
