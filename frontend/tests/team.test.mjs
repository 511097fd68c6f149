import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agentHue, applyTeamEvents, emptyTeam, grouped, initialState, orchestratorReducer, teamLoaded, teamTotals } from '../.build-tests/logic.mjs';
import { NOW, ORCH } from './helpers.mjs';

const AGENT_A = '0190a000-0000-7000-8000-00000000000a';
const AGENT_B = '0190a000-0000-7000-8000-00000000000b';

function summary(id, name, extra = {}) {
  return { id, name, model: 'claude-sonnet-4-5', status: 'idle', reason: null, session_id: null, input_tokens: 0, output_tokens: 0, total_cost: 0, budget_usd: null, ...extra };
}

function record(id, name, created_at) {
  return { id, orchestrator_agent_id: ORCH, name, model: 'claude-sonnet-4-5', status: 'starting', session_id: null, input_tokens: 0, output_tokens: 0, total_cost: 0, archived: false, metadata: { budget_usd: 1 }, created_at, updated_at: created_at };
}

let seq = 0;
const event = (fields) => ({ seq: (seq += 1), orchestrator_agent_id: ORCH, ...fields });
const log = (agent_id, logSeq, event_category, event_type, content, payload = {}) =>
  event({ type: 'agent_log', agent_id, log: { id: `l${logSeq}`, agent_id, seq: logSeq, event_category, event_type, content, payload, timestamp: NOW } });

test('the list the host gives replaces the team; cards sort by creation within their group', () => {
  const team = teamLoaded(emptyTeam, {
    status: 'success',
    max_running: 2,
    agents: [
      summary(AGENT_B, 'reviewer', { created_at: '2026-01-01T00:00:02Z', status: 'needs_input' }),
      summary(AGENT_A, 'tester', { created_at: '2026-01-01T00:00:01Z', status: 'running', running_command: { turn_id: 't1', command: 'run the tests' }, counts: { responses: 3, tools: 2, hooks: 4, thinking: 1 }, last_seq: 10 }),
    ],
  });
  assert.equal(team.loaded, true);
  assert.deepEqual(team.order, [AGENT_A, AGENT_B]);
  const groups = grouped(team);
  assert.deepEqual(groups.needs_you.map((m) => m.name), ['reviewer']);
  assert.deepEqual(groups.running.map((m) => m.name), ['tester']);
  assert.equal(groups.running[0].task, 'run the tests');
  assert.deepEqual(groups.running[0].counters, { responses: 3, tools: 2, hooks: 4, thinking: 1 });
  assert.deepEqual(teamTotals(team), { running: 1, queued: 0, needsYou: 1, cost: 0, tokens: 0 });
});

test('agent events move a card between groups, count its work once, and leave other slices alone', () => {
  let team = teamLoaded(emptyTeam, { status: 'success', agents: [], max_running: 4 });
  team = applyTeamEvents(team, [event({ type: 'agent_created', agent: record(AGENT_A, 'tester', NOW) })]);
  assert.equal(grouped(team).running[0].name, 'tester', 'starting counts as running');
  assert.equal(team.members.get(AGENT_A).budgetUsd, 1, 'the budget comes from the record');
  const command = { id: 'c1', orchestrator_agent_id: ORCH, sender_type: 'orchestrator', receiver_type: 'agent', agent_id: AGENT_A, message: 'list   the\nfiles', metadata: null, created_at: NOW };
  team = applyTeamEvents(team, [
    event({ type: 'agent_status_changed', agent_id: AGENT_A, name: 'tester', status: 'idle', reason: null, previous: 'starting', timestamp: NOW }),
    event({ type: 'orchestrator_chat', message: command }),
    event({ type: 'agent_status_changed', agent_id: AGENT_A, name: 'tester', status: 'running', reason: null, previous: 'idle', turn_id: 't1', timestamp: '2026-01-01T00:00:05Z' }),
    log(AGENT_A, 1, 'hook', 'PreToolUse', 'Bash'),
    log(AGENT_A, 2, 'response', 'tool_use', 'Bash'),
    log(AGENT_A, 3, 'response', 'text', 'nested', { parent_tool_use_id: 'toolu_1' }),
    log(AGENT_A, 4, 'response', 'text', 'done'),
    log(AGENT_A, 4, 'response', 'text', 'done'),
    log(AGENT_A, 5, 'response', 'thinking', 'hmm'),
  ]);
  const member = team.members.get(AGENT_A);
  assert.equal(member.task, 'list the files', 'the command is the task, flattened');
  assert.equal(member.runningSince, '2026-01-01T00:00:05Z');
  assert.equal(member.turnId, 't1');
  assert.equal(member.lastTool, 'Bash');
  assert.deepEqual(member.counters, { responses: 2, tools: 1, hooks: 1, thinking: 1 }, 'a nested agent text is a response, as the host counts; a replayed row counts once');
  assert.equal(applyTeamEvents(team, [event({ type: 'chat_typing', is_typing: true })]), team, 'events of others keep the team identical');

  team = applyTeamEvents(team, [
    event({ type: 'agent_updated', agent: { id: AGENT_A, name: 'tester', input_tokens: 100, output_tokens: 20, total_cost: 0.85, budget_usd: 1, budget_used: 0.85, context_tokens: 5400, updated_at: NOW }, warning: 'budget_80' }),
    event({ type: 'agent_status_changed', agent_id: AGENT_A, name: 'tester', status: 'interrupted', reason: 'budget_exceeded', previous: 'running', timestamp: NOW }),
  ]);
  const done = grouped(team).done[0];
  assert.equal(done.reason, 'budget_exceeded');
  assert.equal(done.runningSince, null);
  assert.equal(done.budgetWarning, true);
  assert.equal(done.contextTokens, 5400);
  assert.deepEqual(teamTotals(team), { running: 0, queued: 0, needsYou: 0, cost: 0.85, tokens: 120 });

  team = applyTeamEvents(team, [event({ type: 'agent_queue', queue: [{ agent_id: AGENT_A, name: 'tester', turn_id: 't2', position: 1 }], running: 2, max_running: 2 })]);
  assert.equal(team.members.get(AGENT_A).queuePosition, 1);
  assert.equal(team.running, 2);
  team = applyTeamEvents(team, [event({ type: 'agent_deleted', agent_id: AGENT_A, name: 'tester', timestamp: NOW })]);
  assert.equal(team.members.size, 0);
  assert.deepEqual(team.order, []);
});

test('an agent keeps its colour by name', () => {
  assert.equal(agentHue('tester'), agentHue('tester'));
  assert.notEqual(agentHue('tester'), agentHue('reviewer'));
  assert.ok(agentHue('x') >= 0 && agentHue('x') < 360);
});

test('focusing an agent is state; deleting the focused agent clears it', () => {
  let state = orchestratorReducer(initialState, { type: 'agentFocused', agentId: AGENT_A });
  assert.equal(state.focusedAgentId, AGENT_A);
  assert.equal(orchestratorReducer(state, { type: 'agentFocused', agentId: AGENT_A }), state, 'the same focus keeps the state');
  state = orchestratorReducer(state, { type: 'hostEvents', now: NOW, events: [event({ type: 'agent_deleted', agent_id: AGENT_B, name: 'reviewer', timestamp: NOW })] });
  assert.equal(state.focusedAgentId, AGENT_A, 'another agent deleted');
  state = orchestratorReducer(state, { type: 'hostEvents', now: NOW, events: [event({ type: 'agent_deleted', agent_id: AGENT_A, name: 'tester', timestamp: NOW })] });
  assert.equal(state.focusedAgentId, null);
});
