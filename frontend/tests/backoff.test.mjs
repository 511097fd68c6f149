import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff, ChatSocket, defaultBackoff, jitteredDelay, nominalDelay } from '../.build-tests/logic.mjs';
import { FakeSocket, FakeTimers, ORCH } from './helpers.mjs';

test('the nominal schedule doubles from 250 ms and stops growing at 30 s', () => {
  const schedule = Array.from({ length: 10 }, (_, i) => nominalDelay(i + 1));
  assert.deepEqual(schedule, [250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  assert.equal(nominalDelay(10_000), defaultBackoff.maxMs, 'a huge attempt number is still the cap, not Infinity or NaN');
});

test('jitter keeps each delay between half the nominal delay and the nominal delay', () => {
  for (const attempt of [1, 2, 5, 8, 50]) {
    const nominal = nominalDelay(attempt);
    assert.equal(jitteredDelay(attempt, () => 0), Math.round(nominal / 2));
    assert.equal(jitteredDelay(attempt, () => 0.999999), Math.round(nominal));
    const middle = jitteredDelay(attempt, () => 0.5);
    assert.ok(middle > nominal / 2 && middle < nominal, `attempt ${attempt}: ${middle}`);
  }
});

test('attempts never run out, and a reset starts the schedule again', () => {
  const backoff = new Backoff(defaultBackoff, () => 1 - Number.EPSILON);
  const delays = Array.from({ length: 200 }, () => backoff.next());
  assert.equal(backoff.attempt, 200);
  assert.equal(delays[199], 30000);
  backoff.reset();
  assert.equal(backoff.attempt, 0);
  assert.equal(backoff.next(), 250);
});

test('the socket reconnects forever on the backoff schedule and resumes from the last seq each time', () => {
  FakeSocket.reset();
  const timers = new FakeTimers();
  const states = [];
  const delivered = [];
  const socket = new ChatSocket({
    url: 'ws://host/ws', orchestratorId: ORCH, timers, createSocket: (url) => new FakeSocket(url),
    backoff: new Backoff(defaultBackoff, () => 0.5),
    handlers: {
      events: (events) => delivered.push(...events.map((e) => e.seq)), frames() {}, state: (state) => states.push(state),
      connected() {}, reloadRequired() {}, requestError() {},
    },
  });
  socket.start(0);
  FakeSocket.last.establish();
  assert.deepEqual(FakeSocket.last.sent[0], { type: 'resume', orchestrator_agent_id: ORCH, last_seq: 0, request_id: 'resume-1' });
  FakeSocket.last.receive({ seq: 1, type: 'chat_typing', orchestrator_agent_id: ORCH, is_typing: true });
  FakeSocket.last.receive({ seq: 2, type: 'chat_typing', orchestrator_agent_id: ORCH, is_typing: false });

  // The host is gone: every attempt fails at once. The waits follow the jittered schedule.
  const waits = [];
  FakeSocket.last.drop();
  for (let attempt = 1; attempt <= 12; attempt += 1) {
    const waiting = states[states.length - 1];
    assert.equal(waiting.phase, 'waiting');
    assert.equal(waiting.attempt, attempt);
    waits.push(waiting.retryAt - timers.now());
    timers.advance(waiting.retryAt - timers.now());
    assert.equal(states[states.length - 1].phase, 'connecting');
    FakeSocket.last.drop();
  }
  assert.deepEqual(waits, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((n) => jitteredDelay(n, () => 0.5)));
  assert.equal(FakeSocket.all.length, 13, 'the first connection and 12 attempts');

  // The host is back: the next attempt resumes after seq 2, and the schedule starts over.
  timers.advance(states[states.length - 1].retryAt - timers.now());
  FakeSocket.last.establish('client_2');
  assert.deepEqual(FakeSocket.last.sent[0], { type: 'resume', orchestrator_agent_id: ORCH, last_seq: 2, request_id: 'resume-2' });
  FakeSocket.last.receive({ type: 'resumed', orchestrator_agent_id: ORCH, replayed: 0, last_seq: 2 });
  assert.equal(states[states.length - 1].phase, 'open');
  FakeSocket.last.drop();
  assert.equal(states[states.length - 1].retryAt - timers.now(), jitteredDelay(1, () => 0.5));
  assert.deepEqual(delivered, [1, 2]);
  socket.stop();
  assert.deepEqual(timers.pending(), [], 'stop leaves no timer behind');
});

test('a connection that never opens is abandoned after the connect timeout', () => {
  FakeSocket.reset();
  const timers = new FakeTimers();
  const states = [];
  const socket = new ChatSocket({
    url: 'ws://host/ws', orchestratorId: ORCH, timers, connectTimeoutMs: 10_000, createSocket: (url) => new FakeSocket(url),
    handlers: { events() {}, frames() {}, state: (s) => states.push(s), connected() {}, reloadRequired() {}, requestError() {} },
  });
  socket.start(0);
  timers.advance(9_999);
  assert.equal(states[states.length - 1].phase, 'connecting');
  timers.advance(1);
  assert.equal(states[states.length - 1].phase, 'waiting');
  assert.match(states[states.length - 1].detail, /did not answer/);
  socket.stop();
});

test('a silent link is closed after two heartbeat periods without a word, then replaced', () => {
  FakeSocket.reset();
  const timers = new FakeTimers();
  const states = [];
  const socket = new ChatSocket({
    url: 'ws://host/ws', orchestratorId: ORCH, timers, createSocket: (url) => new FakeSocket(url),
    handlers: { events() {}, frames() {}, state: (s) => states.push(s), connected() {}, reloadRequired() {}, requestError() {} },
  });
  socket.start(0);
  const first = FakeSocket.last;
  first.establish();
  timers.advance(20_000);
  assert.deepEqual(first.sent.at(-1), { type: 'ping' });
  first.receive({ type: 'pong' });
  timers.advance(40_000);
  assert.equal(first.readyState, 1, 'two periods of silence are tolerated (a ping may be in flight)');
  timers.advance(20_000);
  assert.equal(first.readyState, 3, 'closed once silent for more than two periods');
  assert.equal(states[states.length - 1].phase, 'waiting');
  assert.match(states[states.length - 1].detail, /no answer to pings/);
  socket.stop();
});
