import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  allPermissionsSelected, applyPermissionEvents, askerName, describeResolution, editDiff, emptyPermissionInbox, emptyTeam,
  initialState, orchestratorReducer, pendingRequests, permissionChanges, permissionFailed, permissionsAnswering, permissionSelected,
  permissionsLoaded, readableInput, teamLoaded,
} from '../.build-tests/logic.mjs';
import { NOW, ORCH } from './helpers.mjs';

const AGENT = '0190a000-0000-7000-8000-00000000000a';
let seq = 500;
const request = (id, fields = {}) => ({
  id, orchestrator_agent_id: ORCH, agent_id: AGENT, session_id: 's1', tool_name: 'Bash', input: { command: 'git status' },
  suggestions: [], status: 'pending', decision: {}, decided_by: null, created_at: NOW, expires_at: null, decided_at: null, ...fields,
});
const asked = (r) => ({ seq: (seq += 1), type: 'permission_request', orchestrator_agent_id: ORCH, request: r, agent_name: 'builder' });
const resolvedEvent = (r) => ({ seq: (seq += 1), type: 'permission_resolved', orchestrator_agent_id: ORCH, request: r, agent_name: 'builder' });
const team = teamLoaded(emptyTeam, { status: 'success', max_running: 2, agents: [{
  id: AGENT, name: 'builder', model: 'm', status: 'needs_input', reason: null, session_id: null, input_tokens: 0, output_tokens: 0, total_cost: 0, budget_usd: null,
}] });

test('requests join the inbox once, oldest first, and leave when resolved (remembered among the recent)', () => {
  const first = request('p1', { created_at: '2026-12-04T10:00:01.000Z' });
  const second = request('p2', { created_at: '2026-12-04T10:00:00.000Z', agent_id: null });
  let inbox = permissionsLoaded(emptyPermissionInbox, []);
  inbox = applyPermissionEvents(inbox, [asked(first), asked(second), asked(first)]);
  assert.deepEqual(pendingRequests(inbox).map((r) => r.id), ['p2', 'p1']);
  const allowed = { ...first, status: 'allowed', decided_by: 'person', decision: { scope: 'agent' } };
  inbox = applyPermissionEvents(inbox, [resolvedEvent(allowed)]);
  assert.deepEqual(pendingRequests(inbox).map((r) => r.id), ['p2']);
  assert.equal(inbox.recent[0].id, 'p1');
  // A late duplicate of the resolution changes nothing.
  assert.equal(applyPermissionEvents(inbox, [resolvedEvent(allowed)]), inbox);
});

test('a reload replaces the pending list; ticks and answers in flight on vanished requests are dropped', () => {
  let inbox = permissionsLoaded(emptyPermissionInbox, [request('p1'), request('p2'), request('old', { status: 'denied' })]);
  assert.equal(inbox.pending.size, 2, 'only pending rows are inbox items');
  inbox = permissionSelected(inbox, 'p1', true);
  inbox = permissionsAnswering(inbox, ['p2'], true);
  inbox = permissionsLoaded(inbox, [request('p3')]);
  assert.deepEqual([...inbox.selected], []);
  assert.deepEqual([...inbox.answering], []);
  assert.deepEqual([...inbox.pending.keys()], ['p3']);
});

test('the audit log\'s newest join the recent at load (a restart\'s expired requests show), newest first, once', () => {
  const expired = request('gone', { status: 'expired', decided_by: 'host', decided_at: '2026-12-04T09:00:00.000Z', decision: { reason: 'host_restarted' } });
  const heard = request('heard', { status: 'allowed', decided_by: 'person', decided_at: '2026-12-04T09:30:00.000Z' });
  let inbox = applyPermissionEvents(permissionsLoaded(emptyPermissionInbox, [request('heard')]), [resolvedEvent(heard)]);
  inbox = permissionsLoaded(inbox, [], [heard, expired]);
  assert.deepEqual(inbox.recent.map((r) => r.id), ['heard', 'gone']);
  assert.equal(describeResolution(inbox.recent[1]), 'expired by the host (host restarted)');
});

test('selection: one, all, none; an unknown id is ignored', () => {
  let inbox = permissionsLoaded(emptyPermissionInbox, [request('p1'), request('p2')]);
  assert.equal(permissionSelected(inbox, 'nope', true), inbox);
  inbox = permissionSelected(inbox, 'p2', true);
  assert.deepEqual([...inbox.selected], ['p2']);
  inbox = allPermissionsSelected(inbox, true);
  assert.deepEqual([...inbox.selected].sort(), ['p1', 'p2']);
  inbox = allPermissionsSelected(inbox, false);
  assert.equal(inbox.selected.size, 0);
});

test('a refused answer keeps the request with the host\'s reason; answering again clears it', () => {
  let inbox = permissionsLoaded(emptyPermissionInbox, [request('p1')]);
  inbox = permissionsAnswering(inbox, ['p1'], true);
  assert.ok(inbox.answering.has('p1'));
  inbox = permissionFailed(inbox, 'p1', 'permission request p1 was already allowed by a person');
  assert.equal(inbox.answering.has('p1'), false);
  assert.match(inbox.errors.get('p1'), /already allowed/);
  inbox = permissionsAnswering(inbox, ['p1'], true);
  assert.equal(inbox.errors.has('p1'), false);
});

test('the reducer applies permission events from the stream and the store\'s answers', () => {
  let state = orchestratorReducer(initialState, { type: 'permissionsLoaded', requests: [] });
  state = orchestratorReducer(state, { type: 'hostEvents', events: [asked(request('p1'))], now: NOW });
  assert.equal(state.permissions.pending.size, 1);
  state = orchestratorReducer(state, { type: 'permissionAnswered', request: request('p1', { status: 'denied', decided_by: 'person', decision: { message: 'no' } }) });
  assert.equal(state.permissions.pending.size, 0);
  assert.equal(state.permissions.recent[0].status, 'denied');
});

test('inputs read as a person reads them: the command, the diff, the new file, else the JSON', () => {
  assert.deepEqual(readableInput('Bash', { command: 'rm -rf build', description: 'Clean' }), { kind: 'command', command: 'rm -rf build', description: 'Clean' });
  assert.deepEqual(readableInput('Edit', { file_path: 'src/a.ts', old_string: 'a', new_string: 'b' }), { kind: 'edit', path: 'src/a.ts', removed: 'a', added: 'b' });
  assert.deepEqual(readableInput('Write', { file_path: 'n.txt', content: 'x' }), { kind: 'write', path: 'n.txt', content: 'x' });
  assert.equal(readableInput('Bash', { cmd: 'odd' }).kind, 'json', 'an input without the expected field falls back to JSON');
  assert.equal(readableInput('mcp__orch__create_agent', { name: 'x' }).text, '{\n  "name": "x"\n}');
});

test('an edit reads as a diff: common lines kept, removed lines, then added lines', () => {
  assert.deepEqual(editDiff('a\nb\nc', 'a\nB\nc'), [
    { sign: ' ', text: 'a' }, { sign: '-', text: 'b' }, { sign: '+', text: 'B' }, { sign: ' ', text: 'c' },
  ]);
  assert.deepEqual(editDiff('', 'new'), [{ sign: '-', text: '' }, { sign: '+', text: 'new' }]);
});

test('who asked and what became of it, in words', () => {
  assert.equal(askerName(request('p1'), team.members), 'builder');
  assert.equal(askerName(request('p1', { agent_id: null }), team.members), 'Orchestrator');
  assert.equal(describeResolution(request('p', { status: 'allowed', decided_by: 'person', decision: { scope: 'agent' } })), 'allowed for this agent by a person');
  assert.equal(describeResolution(request('p', { status: 'denied', decided_by: 'rule', decision: { rule: 'Bash(rm *)' } })), 'denied by the rule Bash(rm *)');
  assert.equal(describeResolution(request('p', { status: 'denied', decided_by: 'timeout' })), 'denied after waiting too long');
  assert.equal(describeResolution(request('p', { status: 'expired', decided_by: 'host', decision: { reason: 'host stopped' } })), 'expired by the host (host stopped)');
});

test('a new request is heard: the orchestrator\'s asks for the person, an agent\'s is read out (its state asks)', () => {
  const before = permissionsLoaded(emptyPermissionInbox, []);
  const after = applyPermissionEvents(before, [asked(request('p1', { agent_id: null })), asked(request('p2'))]);
  const changes = permissionChanges(before, after, team);
  assert.deepEqual(changes.map((c) => [c.kind, c.name]), [['needs_you', 'Orchestrator'], ['status', 'builder']]);
  assert.match(changes[0].text, /Orchestrator asks to use Bash/);
  assert.deepEqual(permissionChanges(emptyPermissionInbox, after, team), [], 'nothing is new before the first load');
});
