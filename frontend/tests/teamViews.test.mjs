import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  activityLine, agentLogsMerged, agentTimeline, agentViewOpened, applyAgentViewEvents, applyTeamEvents, budgetUse, closedAgentView,
  countersLine, emptyTeam, exactDollars, filesTouched, formatElapsed, initialState, notificationsLabel, orchestratorReducer,
  shouldNotify, stateLabel, teamChanges, teamLoaded, titleWithBadge, unseenAfter, uuidV7Time,
} from '../.build-tests/logic.mjs';
import { NOW, ORCH } from './helpers.mjs';

const A = '0190a000-0000-7000-8000-00000000000a';
const B = '0190a000-0000-7000-8000-00000000000b';

function summary(id, name, extra = {}) {
  return { id, name, model: 'claude-sonnet-4-5', status: 'idle', reason: null, session_id: null, input_tokens: 0, output_tokens: 0, total_cost: 0, budget_usd: null, ...extra };
}
const loaded = (...agents) => teamLoaded(emptyTeam, { status: 'success', max_running: 2, agents });
let seq = 100;
const event = (fields) => ({ seq: (seq += 1), orchestrator_agent_id: ORCH, ...fields });
const status = (agent_id, name, to, previous, reason = null, timestamp = NOW) =>
  event({ type: 'agent_status_changed', agent_id, name, status: to, previous, reason, timestamp });
const logRow = (agent_id, logSeq, event_type, content, payload = {}, event_category = 'response', timestamp = NOW) =>
  ({ id: `l${logSeq}`, agent_id, seq: logSeq, event_category, event_type, content, payload, timestamp });

test('elapsed time reads as m:ss, then h:mm:ss; clock skew is 0:00', () => {
  assert.equal(formatElapsed(7_400), '0:07');
  assert.equal(formatElapsed(754_000), '12:34');
  assert.equal(formatElapsed(3_723_000), '1:02:03');
  assert.equal(formatElapsed(-5_000), '0:00');
});

test('a card says the state with its reason, the live activity, the counters and the budget', () => {
  assert.equal(stateLabel({ status: 'interrupted', reason: 'budget_exceeded', queuePosition: null }), 'interrupted · budget exceeded');
  assert.equal(stateLabel({ status: 'needs_input', reason: null, queuePosition: null }), 'needs you');
  assert.equal(stateLabel({ status: 'queued', reason: null, queuePosition: 2 }), 'queued · #2');
  assert.equal(stateLabel({ status: 'running', reason: null, queuePosition: null }), 'running');

  let team = loaded(summary(A, 'tester'));
  team = applyTeamEvents(team, [
    status(A, 'tester', 'running', 'idle', null, '2026-01-01T00:00:00Z'),
    event({ type: 'agent_log', agent_id: A, log: logRow(A, 1, 'tool_use', 'Bash') }),
  ]);
  const member = team.members.get(A);
  assert.equal(activityLine(member, Date.parse('2026-01-01T00:01:05Z')), 'using Bash · 1:05');
  team = applyTeamEvents(team, [
    status(A, 'tester', 'idle', 'running'),
    event({ type: 'orchestrator_chat', message: { id: 'r1', orchestrator_agent_id: ORCH, sender_type: 'agent', receiver_type: 'orchestrator', agent_id: A, message: 'all\n tests pass', metadata: { type: 'agent_result' }, created_at: NOW } }),
  ]);
  assert.equal(activityLine(team.members.get(A), Date.now()), 'last result: all tests pass', 'the result arrives live');

  assert.equal(countersLine({ responses: 1, tools: 2, hooks: 4, thinking: 0 }), '1 response · 2 tools · 4 hooks · 0 thinking');
  assert.equal(budgetUse({ totalCost: 0.5, budgetUsd: null, budgetWarning: false }), null, 'no budget, no bar');
  assert.deepEqual(budgetUse({ totalCost: 0.5, budgetUsd: 1, budgetWarning: false }), { share: 0.5, warn: false });
  assert.deepEqual(budgetUse({ totalCost: 0.81, budgetUsd: 1, budgetWarning: false }), { share: 0.81, warn: true }, 'past 80 % warns');
  assert.deepEqual(budgetUse({ totalCost: 2, budgetUsd: 1, budgetWarning: true }), { share: 1, warn: true }, 'capped at full');
  assert.equal(exactDollars(0.0123456), '$0.0123456');
  assert.equal(exactDollars(1.5), '$1.50');
  assert.equal(exactDollars(0), '$0.00');
});

const result = (agent_id, text, outcome = 'success') => event({ type: 'orchestrator_chat', message: {
  id: `r${seq}`, orchestrator_agent_id: ORCH, sender_type: 'agent', receiver_type: 'orchestrator', agent_id, message: text,
  metadata: { type: 'agent_result', outcome }, created_at: NOW } });

test('team changes: nothing on the first load; needs-you and finished commands ask for the person', () => {
  const before = loaded(summary(A, 'tester', { status: 'running' }), summary(B, 'reviewer'));
  assert.deepEqual(teamChanges(emptyTeam, before), [], 'the first load is not news');
  const after = applyTeamEvents(before, [
    status(A, 'tester', 'idle', 'running'),
    result(A, 'all pass'),
    status(B, 'reviewer', 'needs_input', 'idle'),
  ]);
  const changes = teamChanges(before, after);
  // In card order (creation, then name).
  assert.deepEqual(changes.map((c) => [c.kind, c.text]), [['needs_you', 'reviewer needs you.'], ['finished', 'tester finished a command.'], ['status', 'tester: idle.']]);
  const quick = teamChanges(after, applyTeamEvents(after, [
    status(A, 'tester', 'running', 'idle'), status(A, 'tester', 'interrupted', 'running', 'interrupted_by_user'), result(A, 'stopped', 'interrupted'),
  ]));
  assert.deepEqual(quick.map((c) => c.text), ['tester finished a command (interrupted).', 'tester: interrupted · interrupted by user.'],
    'a command that ran and ended between two renders is still heard');
  const gone = teamChanges(after, applyTeamEvents(after, [event({ type: 'agent_deleted', agent_id: B, name: 'reviewer', timestamp: NOW })]));
  assert.deepEqual(gone.map((c) => [c.kind, c.text]), [['deleted', 'Agent reviewer was deleted.']]);

  const [needsYou, finished, idle] = changes;
  const on = { enabled: true, permission: 'granted', hidden: true };
  assert.equal(shouldNotify(finished, on), true);
  assert.equal(shouldNotify(needsYou, on), true);
  assert.equal(shouldNotify(idle, on), false, 'a plain state change is only read out');
  assert.equal(shouldNotify(finished, { ...on, hidden: false }), false, 'not while the person is looking');
  assert.equal(shouldNotify(finished, { ...on, enabled: false }), false, 'off by default');
  assert.equal(shouldNotify(finished, { ...on, permission: 'default' }), false, 'not before the browser allowed it');
  assert.equal(shouldNotify(gone[0], on), false, 'a deletion the person made is no news to them');
});

test('the title counts what happened while hidden and clears when the tab shows', () => {
  const before = loaded(summary(A, 'tester', { status: 'running' }));
  const changes = teamChanges(before, applyTeamEvents(before, [status(A, 'tester', 'idle', 'running'), result(A, 'ok')]));
  let unseen = unseenAfter(0, changes, true);
  unseen = unseenAfter(unseen, changes, true);
  assert.equal(unseen, 2);
  assert.equal(titleWithBadge('Orch · orchestrator console', unseen), '(2) Orch · orchestrator console');
  assert.equal(unseenAfter(unseen, changes, false), 0);
  assert.equal(titleWithBadge('Orch · orchestrator console', 0), 'Orch · orchestrator console');
  assert.equal(notificationsLabel(false, 'default'), 'Notifications: off');
  assert.equal(notificationsLabel(true, 'granted'), 'Notifications: on');
  assert.equal(notificationsLabel(true, 'denied'), 'Notifications: blocked');
  assert.equal(notificationsLabel(false, 'unsupported'), 'Notifications: not available');
});

test('the agent view holds the focused agent log once per seq, pages and live rows alike', () => {
  let view = agentViewOpened(closedAgentView, A);
  assert.equal(view.loading, true);
  view = applyAgentViewEvents(view, [event({ type: 'agent_log', agent_id: A, log: logRow(A, 3, 'text', 'live') }), event({ type: 'agent_log', agent_id: B, log: logRow(B, 1, 'text', 'other') })]);
  view = agentLogsMerged(view, A, [logRow(A, 1, 'text', 'one'), logRow(A, 2, 'text', 'two'), logRow(A, 3, 'text', 'live')], true);
  assert.deepEqual(view.logs.map((l) => l.seq), [1, 2, 3]);
  assert.equal(view.loading, false);
  assert.equal(agentLogsMerged(view, B, [logRow(B, 9, 'text', 'x')], true), view, 'a page for another agent is dropped');
  assert.equal(agentViewOpened(view, A), view);
  assert.equal(agentViewOpened(view, null), closedAgentView);

  const state = orchestratorReducer(orchestratorReducer(initialState, { type: 'agentFocused', agentId: A }), { type: 'agentLogsLoaded', agentId: A, logs: [logRow(A, 1, 'text', 'one')], done: true });
  assert.equal(state.agentView.logs.length, 1);
  assert.equal(orchestratorReducer(state, { type: 'agentFocused', agentId: B }).agentView.logs.length, 0, 'another agent starts empty');
});

test('the timeline joins commands, replies and tools (output under its call), skips hooks, and lists touched files', () => {
  const chat = [
    { kind: 'message', key: 'c1', id: 'c1', role: 'user', text: 'read the notes', state: 'final', createdAt: '2026-01-01T00:00:01Z', agentId: A, agentExchange: 'command' },
    { kind: 'message', key: 'r1', id: 'r1', role: 'agent', text: 'done reading', state: 'final', createdAt: '2026-01-01T00:00:09Z', agentId: A, agentExchange: 'result' },
    { kind: 'message', key: 'x', id: 'x', role: 'orchestrator', text: 'for the person', state: 'final', createdAt: '2026-01-01T00:00:02Z' },
    { kind: 'message', key: 'c2', id: 'c2', role: 'orchestrator', text: 'not for A', state: 'final', createdAt: '2026-01-01T00:00:02Z', agentId: B, agentExchange: 'command' },
  ];
  const logs = [
    logRow(A, 1, 'thinking', 'let me look', {}, 'response', '2026-01-01T00:00:02Z'),
    logRow(A, 2, 'tool_use', 'Read', { id: 'toolu_1', name: 'Read', input: { file_path: '/w/notes.md' } }, 'response', '2026-01-01T00:00:03Z'),
    logRow(A, 3, 'PreToolUse', 'Read', {}, 'hook', '2026-01-01T00:00:03Z'),
    logRow(A, 4, 'tool_result', 'hello notes', { tool_use_id: 'toolu_1', is_error: false }, 'response', '2026-01-01T00:00:04Z'),
    logRow(A, 5, 'tool_use', 'Edit', { id: 'toolu_2', input: { file_path: '/w/notes.md', old_string: 'a' } }, 'response', '2026-01-01T00:00:05Z'),
    logRow(A, 6, 'tool_use', 'Write', { id: 'toolu_3', input: { file_path: '/w/out.txt' } }, 'response', '2026-01-01T00:00:06Z'),
    logRow(A, 7, 'text', 'done reading', {}, 'response', '2026-01-01T00:00:08Z'),
  ];
  const entries = agentTimeline(A, logs, chat);
  assert.deepEqual(entries.map((e) => e.kind), ['command', 'thinking', 'tool', 'tool', 'tool', 'reply', 'result']);
  assert.equal(entries[0].from, 'You');
  const read = entries[2];
  assert.equal(read.name, 'Read');
  assert.deepEqual(read.input, { file_path: '/w/notes.md' });
  assert.equal(read.output, 'hello notes');
  assert.equal(entries[3].output, null, 'a call without its result yet is running');
  assert.deepEqual(filesTouched(logs), ['/w/notes.md', '/w/out.txt']);
});

test('a page opened mid-command counts the elapsed time from the command id; context use comes with the summary', () => {
  assert.equal(uuidV7Time('01a23dcd-8bf5-749a-9000-000000000000'), new Date(0x01a23dcd8bf5).toISOString());
  assert.equal(uuidV7Time('0190a000-0000-4000-8000-00000000000a'), null, 'not a UUIDv7');
  assert.equal(uuidV7Time('t1'), null);
  const team = loaded(summary(A, 'tester', { status: 'running', running_command: { turn_id: '01a23dcd-8bf5-749a-9000-000000000000', command: 'go' }, context_tokens: 12345 }));
  const member = team.members.get(A);
  assert.equal(member.runningSince, new Date(0x01a23dcd8bf5).toISOString());
  assert.equal(activityLine(member, 0x01a23dcd8bf5 + 65_000), 'working · 1:05');
  assert.equal(member.contextTokens, 12345);
  assert.equal(loaded(summary(B, 'idle')).members.get(B).contextTokens, null, 'unknown until the host says');
});
