import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ApiError, appendHostEvents, ChatSocket, createApi, emptyEventLog, initialState, isWorking, itemsInOrder, manualScheduler, maxEventEntries,
  messageCount, OrchestratorStore, orchestratorReducer, ReactiveStore, turnCount,
} from '../.build-tests/logic.mjs';
import { FakeSocket, FakeTimers, NOW, ORCH, replyRow, turnEvents, userRow } from './helpers.mjs';

const orchestrator = { id: ORCH, session_id: null, status: 'idle', input_tokens: 0, output_tokens: 0, total_cost: 0 };

function reduce(state, ...actions) {
  return actions.reduce(orchestratorReducer, state);
}

function history(messages, extra = {}) {
  return { type: 'historyLoaded', mode: 'replace', response: { status: 'success', messages, turn_count: messages.length, has_more: false, orchestrator, ...extra } };
}

function bubbles(state) {
  return itemsInOrder(state.chat).map((item) => (item.kind === 'message' ? `${item.role}:${item.state}:${item.text}` : `${item.kind}:${item.title ?? ''}`));
}

test('listeners hear once per frame however many actions ran, with the state they saw last', () => {
  const scheduler = manualScheduler();
  const store = new ReactiveStore(0, (state, action) => (action === 'same' ? state : state + action), scheduler);
  const calls = [];
  store.subscribe((state, previous) => calls.push([state, previous]));
  assert.deepEqual(calls, [[0, null]], 'subscribing renders once at once, with no previous state');
  store.dispatch(1);
  store.dispatch(2);
  store.dispatch('same');
  assert.equal(scheduler.pending, 1, 'one notification queued for three actions');
  scheduler.flush();
  assert.deepEqual(calls, [[0, null], [3, 0]]);
  store.dispatch('same');
  assert.equal(scheduler.pending, 0, 'an action that changes nothing notifies nobody');
});

test('history on open: the message count is the host turn_count, live rows add to it, replays do not', () => {
  let state = reduce(initialState, { type: 'orchestratorLoaded', orchestrator },
    history([userRow('u1', 'Hi', 't1'), replyRow('r1', 'Hello', 't1')], { turn_count: 2 }));
  assert.deepEqual(bubbles(state), ['user:final:Hi', 'orchestrator:final:Hello']);
  assert.equal(messageCount(state), 2);
  assert.deepEqual(turnCount(state), { count: 1, more: false });
  const events = turnEvents({ firstSeq: 1, user: userRow('u2', 'Again', 't2'), reply: replyRow('r2', 'Sure', 't2'), chunks: ['Sure'], turnId: 't2' });
  state = reduce(state, { type: 'hostEvents', events, now: NOW });
  assert.equal(messageCount(state), 4);
  state = reduce(state, { type: 'hostEvents', events: [{ seq: 99, type: 'orchestrator_chat', message: replyRow('r2', 'Sure', 't2') }], now: NOW });
  assert.equal(messageCount(state), 4, 'a row seen twice counts once');
  assert.deepEqual(turnCount(state), { count: 2, more: false });
  assert.equal(state.orchestrator.output_tokens, 1);
});

test('an empty history is an empty, loaded chat (the page shows its empty state)', () => {
  const state = reduce(initialState, history([]));
  assert.equal(state.history.loaded, true);
  assert.equal(state.chat.order.length, 0);
});

for (const echoFirst of [true, false]) {
  test(`a sent message shows at once and stays one bubble (${echoFirst ? 'echo before' : 'echo after'} the HTTP reply)`, () => {
    let state = reduce(initialState, { type: 'orchestratorLoaded', orchestrator }, history([]),
      { type: 'sendStarted', key: 'local:1', text: 'Hello orchestrator', now: NOW });
    assert.deepEqual(bubbles(state), ['user:sending:Hello orchestrator']);
    const echo = { type: 'hostEvents', events: [{ seq: 1, type: 'orchestrator_chat', message: userRow('u1', 'Hello orchestrator', 't1') }], now: NOW };
    const accepted = { type: 'sendAccepted', key: 'local:1', response: { status: 'accepted', message_id: 'u1', turn_id: 't1', queued: false } };
    state = echoFirst ? reduce(state, echo, accepted) : reduce(state, accepted, echo);
    assert.deepEqual(bubbles(state), ['user:final:Hello orchestrator']);
    assert.equal(itemsInOrder(state.chat)[0].id, 'u1');
    assert.equal(messageCount(state), 1);
    state = reduce(state, { type: 'hostEvents', events: [{ seq: 2, type: 'chat_typing', orchestrator_agent_id: ORCH, is_typing: true }], now: NOW });
    assert.equal(state.chat.activeTurn, 't1');
    assert.equal(isWorking(state), true);
  });
}

test('a refused send stays visible with the reason and a retry; the retry goes to the end', () => {
  let state = reduce(initialState, { type: 'orchestratorLoaded', orchestrator }, history([replyRow('r0', 'Earlier', 't0')]),
    { type: 'sendStarted', key: 'local:1', text: 'Too long', now: NOW },
    { type: 'sendFailed', key: 'local:1', message: 'The message is too long: message is 100001 bytes; the limit is 100000' });
  const failed = itemsInOrder(state.chat)[1];
  assert.equal(failed.state, 'failed');
  assert.match(failed.error, /too long.*100000/);
  assert.equal(state.announcement.urgent, true);
  state = reduce(state, { type: 'hostEvents', events: [{ seq: 1, type: 'orchestrator_chat', message: userRow('u9', 'Other tab', 't9') }], now: NOW },
    { type: 'retryStarted', key: 'local:1', now: NOW });
  assert.deepEqual(bubbles(state), ['orchestrator:final:Earlier', 'user:final:Other tab', 'user:sending:Too long']);
});

test('turn errors become readable notices, with a retry of the question when it can help', () => {
  let state = reduce(initialState, { type: 'orchestratorLoaded', orchestrator }, history([]), {
    type: 'hostEvents', now: NOW, events: [
      { seq: 1, type: 'orchestrator_chat', message: userRow('u1', 'Do it', 't1') },
      { seq: 2, type: 'chat_typing', orchestrator_agent_id: ORCH, is_typing: true },
      { seq: 3, type: 'error', orchestrator_agent_id: ORCH, turn_id: 't1', error_class: 'overloaded', message: 'Claude CLI: Overloaded', retryable: true },
      { seq: 4, type: 'chat_typing', orchestrator_agent_id: ORCH, is_typing: false },
      { seq: 5, type: 'turn_complete', orchestrator_agent_id: ORCH, turn_id: 't1', status: 'failed' },
    ],
  });
  const notice = itemsInOrder(state.chat)[1];
  assert.equal(notice.kind, 'notice');
  assert.equal(notice.title, 'The Claude API is overloaded');
  assert.equal(notice.message, 'Claude CLI: Overloaded');
  assert.equal(notice.retryText, 'Do it');
  assert.equal(isWorking(state), false);
  state = reduce(state, {
    type: 'hostEvents', now: NOW, events: [
      { seq: 6, type: 'orchestrator_chat', message: userRow('u2', 'Long one', 't2') },
      { seq: 7, type: 'chat_typing', orchestrator_agent_id: ORCH, is_typing: true },
      { seq: 8, type: 'error', orchestrator_agent_id: ORCH, turn_id: 't2', error_class: 'interrupted', message: 'interrupted', retryable: false },
    ],
  });
  const stopped = itemsInOrder(state.chat).at(-1);
  assert.equal(stopped.title, 'Stopped');
  assert.equal(stopped.level, 'info');
});

test('turns a host stop cut off load as notices with a retry, once, even over the live notice', () => {
  const marker = (id, turnId, errorClass, text) => ({
    ...replyRow(id, text, turnId, { type: 'turn_interrupted', partial: true, error_class: errorClass }),
  });
  const rows = [
    userRow('u1', 'Do it', 't1'), replyRow('r1', 'Half of it', 't1', { partial: true }),
    marker('m1', 't1', 'host_stopped', 'This reply was cut off: orch stopped while it was being written.'),
    userRow('u2', 'Then this', 't2'), marker('m2', 't2', 'cancelled', 'Not answered: orch stopped before this message\'s turn began.'),
  ];
  let state = reduce(initialState, { type: 'orchestratorLoaded', orchestrator }, history([]), {
    type: 'hostEvents', now: NOW, events: [
      { seq: 1, type: 'orchestrator_chat', message: userRow('u2', 'Then this', 't2') },
      { seq: 2, type: 'turn_complete', orchestrator_agent_id: ORCH, turn_id: 't2', status: 'cancelled' },
    ],
  });
  assert.deepEqual(bubbles(state), ['user:final:Then this', 'notice:Not answered']);
  state = reduce(state, history(rows));
  assert.deepEqual(bubbles(state), [
    'user:final:Do it', 'orchestrator:final:Half of it', 'notice:Cut off: orch stopped', 'user:final:Then this', 'notice:Not answered',
  ]);
  const [cutOff, notRun] = itemsInOrder(state.chat).filter((item) => item.kind === 'notice');
  assert.equal(cutOff.retryText, 'Do it');
  assert.equal(cutOff.message, 'This reply was cut off: orch stopped while it was being written.');
  assert.equal(notRun.retryText, 'Then this');
});

test('a history page brings back each turn\'s thinking and tools where they were shown live, once', () => {
  const thinking = { type: 'thinking_block', data: { id: 'a1', orchestrator_agent_id: ORCH, turn_id: 't1', thinking: 'Let me look.', timestamp: NOW } };
  const tool = {
    type: 'tool_use_block',
    data: { id: 'a2', orchestrator_agent_id: ORCH, turn_id: 't1', tool_name: 'Bash', tool_input: { command: 'ls' }, tool_use_id: 'toolu_1', timestamp: NOW },
  };
  const result = { type: 'tool_result_block', data: { orchestrator_agent_id: ORCH, turn_id: 't1', tool_use_id: 'toolu_1', content: 'README.md', is_error: false, timestamp: NOW } };
  const orphan = { type: 'thinking_block', data: { id: 'th9', orchestrator_agent_id: ORCH, turn_id: 't9', thinking: 'not on this page', timestamp: NOW } };
  const rows = [userRow('u1', 'What is here?', 't1'), replyRow('r1', 'A README.', 't1'), userRow('u2', 'Thanks', 't2'), replyRow('r2', 'You are welcome.', 't2')];
  const shown = (state) => itemsInOrder(state.chat).map((item) => (item.kind === 'message' ? `${item.role}:${item.text}` : `${item.kind}:${item.key}`));
  let state = reduce(initialState, { type: 'orchestratorLoaded', orchestrator }, history(rows, { blocks: [thinking, tool, result, orphan] }));
  assert.deepEqual(shown(state), [
    'user:What is here?', 'thinking:thinking:a1', 'tool:tool:a2', 'orchestrator:A README.', 'user:Thanks', 'orchestrator:You are welcome.',
  ]);
  // Between replies of one turn, each where it appeared live (ids are time-ordered): a reply begun before the tool stays before it.
  const early = replyRow('a0', 'Let me check.', 't1');
  const interleaved = reduce(initialState, { type: 'orchestratorLoaded', orchestrator }, history([rows[0], early, ...rows.slice(1)], { blocks: [thinking, tool, result] }));
  assert.deepEqual(shown(interleaved).slice(0, 5), ['user:What is here?', 'orchestrator:Let me check.', 'thinking:thinking:a1', 'tool:tool:a2', 'orchestrator:A README.']);
  const toolItem = itemsInOrder(state.chat).find((item) => item.kind === 'tool');
  assert.deepEqual(toolItem.result, { content: 'README.md', isError: false });
  // The same page again (a resync) and the same block live: still once.
  state = reduce(state, history(rows, { blocks: [thinking, tool, result] }), { type: 'hostEvents', now: NOW, events: [{ seq: 9, ...thinking }] });
  assert.equal(itemsInOrder(state.chat).filter((item) => item.kind === 'thinking').length, 1);
});

test('commands to an agent and its answers say who they are between', () => {
  const command = { ...replyRow('c1', 'run the tests', 'a1', { type: 'agent_command', agent_name: 'tester' }), receiver_type: 'agent', agent_id: 'ag1' };
  const fromPerson = { ...userRow('c2', 'and lint', 'a2'), receiver_type: 'agent', agent_id: 'ag1', metadata: { turn_id: 'a2', agent_name: 'tester' } };
  const result = { ...replyRow('r1', 'all pass', 'a1', { type: 'agent_result', agent_name: 'tester', outcome: 'success' }), sender_type: 'agent', agent_id: 'ag1' };
  const state = reduce(initialState, { type: 'orchestratorLoaded', orchestrator }, history([command, result, fromPerson]));
  const authors = itemsInOrder(state.chat).map((item) => `${item.role}:${item.author}`);
  assert.deepEqual(authors, ['orchestrator:Orchestrator → tester', 'agent:tester', 'user:You → tester']);
});

test('usage updates apply even before the orchestrator loaded (the original dropped them)', () => {
  const state = reduce(initialState, { type: 'hostEvents', now: NOW, events: [{ seq: 1, type: 'orchestrator_updated', orchestrator: { id: ORCH, input_tokens: 30, output_tokens: 7, total_cost: 0.25 } }] });
  assert.equal(state.orchestrator.input_tokens, 30);
  assert.equal(state.orchestrator.total_cost, 0.25);
});

test('the event log folds a reply’s chunks into one line and stays capped', () => {
  const events = turnEvents({ firstSeq: 1, user: userRow('u1', 'Q', 't1'), reply: replyRow('r1', 'a b c', 't1'), chunks: ['a', ' b', ' c'], turnId: 't1' });
  const log = appendHostEvents(emptyEventLog, events, NOW);
  const stream = log.entries.filter((e) => e.category === 'stream');
  assert.equal(stream.length, 1);
  assert.match(stream[0].summary, /complete · 3 chunks · 5 chars/);
  assert.equal(log.total, events.length);
  const flood = Array.from({ length: maxEventEntries + 500 }, (_, i) => ({ seq: i + 1, type: 'chat_typing', orchestrator_agent_id: ORCH, is_typing: i % 2 === 0 }));
  const capped = appendHostEvents(emptyEventLog, flood, NOW);
  assert.equal(capped.entries.length, maxEventEntries);
  assert.equal(capped.entries[0].seq, 501);
  assert.equal(capped.total, flood.length);
});

function fakeService({ failFirst = 0 } = {}) {
  let calls = 0;
  const sent = [];
  return {
    sent,
    getOrchestrator: async () => {
      calls += 1;
      if (calls <= failFirst) throw new ApiError('network', 'The host cannot be reached. Check that orch is running, then try again.', null);
      return { status: 'success', orchestrator };
    },
    loadChatHistory: async () => ({ status: 'success', messages: [], turn_count: 0, has_more: false, orchestrator }),
    sendMessage: async (_id, message) => { sent.push(message); return { status: 'accepted', message_id: 'u1', turn_id: 't1', queued: false }; },
    interrupt: async () => ({ status: 'success', interrupted: false }),
    health: async () => ({ status: 'healthy', uptime_s: 10 }),
    connectWebSocket: () => null,
  };
}

test('the page keeps trying to reach a host that is down at open, and says so', async () => {
  FakeSocket.reset();
  const timers = new FakeTimers();
  const service = fakeService({ failFirst: 2 });
  service.connectWebSocket = (options) => {
    return new ChatSocket({ url: 'ws://h/ws', ...options, createSocket: (url) => new FakeSocket(url) });
  };
  const scheduler = manualScheduler();
  const team = { listAgents: async () => ({ status: 'success', agents: [], max_running: 4 }) };
  const store = new OrchestratorStore({ chat: service, team, permissions: { inbox: async () => ({ requests: [], has_more: false }), log: async () => ({ requests: [], has_more: false }) }, scheduler, timers, clock: () => NOW, random: () => 0.5 });
  const done = store.initialize();
  await flushPromises();
  assert.match(store.state.startupError, /cannot be reached.*Trying again in 1 s/);
  assert.equal(store.state.connection.phase, 'waiting');
  timers.advance(200);
  await flushPromises();
  timers.advance(400);
  await flushPromises();
  await done;
  assert.equal(store.state.startupError, null);
  assert.equal(store.state.history.loaded, true);
  assert.equal(store.state.team.loaded, true, 'the team loads with the history');
  assert.equal(FakeSocket.all.length, 1, 'the socket opens once the orchestrator is known');
  assert.equal(store.sendUserMessage('   '), false, 'blank messages are not sent');
  assert.equal(store.state.toast, 'Type a message first.');
  assert.equal(store.sendUserMessage('Hello'), true);
  await flushPromises();
  assert.deepEqual(service.sent, ['Hello']);
  await store.interrupt();
  assert.equal(store.state.toast, 'Nothing is running right now.');
  store.dispose();
});

async function flushPromises() {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

test('HTTP errors become ApiErrors with the host code and a readable message', async () => {
  const respond = (status, body) => async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
  const tooLarge = createApi('', respond(400, { status: 'error', error: { code: 'message_too_large', message: 'message is 100001 bytes; the limit is 100000' } }));
  await assert.rejects(tooLarge.post('/send_chat', {}), (error) => {
    assert.equal(error.code, 'message_too_large');
    assert.equal(error.status, 400);
    assert.equal(error.message, 'The message is too long: message is 100001 bytes; the limit is 100000');
    return true;
  });
  const proxyPage = createApi('', respond(502, '<html>Bad gateway</html>'));
  await assert.rejects(proxyPage.get('/health'), { code: 'http_502', message: 'The host answered 502: <html>Bad gateway</html>.' });
  const notJson = createApi('', respond(200, 'hello'));
  await assert.rejects(notJson.get('/get_orchestrator'), { code: 'bad_response' });
  const down = createApi('', async () => { throw new TypeError('Failed to fetch'); });
  await assert.rejects(down.get('/get_orchestrator'), (error) => error.code === 'network' && error.transient && /orch is running/.test(error.message));
});
