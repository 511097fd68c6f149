import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChatSocket, emptyTimeline, itemsInOrder, SequenceGate, TimelineEditor } from '../.build-tests/logic.mjs';
import { FakeSocket, FakeTimers, NOW, ORCH, replyRow, turnEvents, userRow } from './helpers.mjs';

function apply(timeline, events) {
  const editor = new TimelineEditor(timeline);
  for (const event of events) editor.apply(event, NOW);
  return editor.finish();
}

function shown(timeline) {
  return itemsInOrder(timeline).map((item) => (item.kind === 'message' ? `${item.role}:${item.state}:${item.text}` : `${item.kind}:${item.key}`));
}

function chunk(seq, id, text, extra = {}) {
  return { seq, type: 'chat_stream', orchestrator_agent_id: ORCH, message_id: id, chunk: text, is_complete: false, ...extra };
}

test('chunks grow one bubble, and the final row replaces it in place', () => {
  const events = turnEvents({ firstSeq: 1, user: userRow('u1', 'Hello', 't1'), reply: replyRow('r1', 'Hi there, friend', 't1'), chunks: ['Hi', ' there,', ' friend'], turnId: 't1' });
  const upToChunks = events.findIndex((e) => e.type === 'chat_stream' && e.is_complete);
  const streaming = apply(emptyTimeline, events.slice(0, upToChunks));
  assert.deepEqual(shown(streaming), ['user:final:Hello', 'orchestrator:streaming:Hi there, friend']);
  assert.equal(streaming.typing, true);
  const done = apply(streaming, events.slice(upToChunks));
  assert.deepEqual(shown(done), ['user:final:Hello', 'orchestrator:final:Hi there, friend']);
  assert.equal(done.typing, false);
  assert.equal(done.activeTurn, null);
  assert.equal(done.streamMismatches, 0);
  assert.equal(done.order.length, 2, 'the draft and its row are one bubble');
});

test('the sequence gate delivers out-of-order events in seq order and duplicates once', () => {
  const gate = new SequenceGate(0);
  const out = [];
  for (const seq of [1, 3, 2, 2, 5, 1, 4, 6, 6]) out.push(...gate.accept({ seq }).map((e) => e.seq));
  assert.deepEqual(out, [1, 2, 3, 4, 5, 6]);
  assert.equal(gate.duplicates, 3);
  assert.equal(gate.lastSeq, 6);
  assert.equal(gate.heldCount, 0);
  // Past a gap the host no longer has: continue after it.
  assert.deepEqual(gate.accept({ seq: 9 }), []);
  assert.deepEqual(gate.skipTo(8).map((e) => e.seq), [9]);
});

test('on the socket, out-of-order and duplicate chunks still assemble exactly the reply', () => {
  FakeSocket.reset();
  const timers = new FakeTimers();
  let timeline = emptyTimeline;
  let duplicates = 0;
  const socket = new ChatSocket({
    url: 'ws://h/ws', orchestratorId: ORCH, timers, createSocket: (url) => new FakeSocket(url), gapTimeoutMs: 1000,
    handlers: {
      events: (events) => { timeline = apply(timeline, events); },
      frames: (_count, dups) => { duplicates += dups; }, state() {}, connected() {}, reloadRequired() {}, requestError() {},
    },
  });
  socket.start(0);
  const ws = FakeSocket.last;
  ws.establish();
  const words = ['The', ' answer', ' is', ' 4.'];
  const events = turnEvents({ firstSeq: 1, user: userRow('u1', 'What is 2+2?', 't1'), reply: replyRow('r1', words.join(''), 't1'), chunks: words, turnId: 't1' });
  const [e1, e2, c1, c2, c3, c4, ...rest] = events;
  for (const event of [e1, e2, c1, c3, c2, c2, c4, c1]) ws.receive(event);
  assert.equal(duplicates, 2);
  assert.deepEqual(shown(timeline), ['user:final:What is 2+2?', 'orchestrator:streaming:The answer is 4.']);
  // A gap that does not fill by itself is asked for with a resume after the last contiguous seq.
  const later = rest.slice(1);
  ws.receive(later[0]);
  timers.advance(1000);
  assert.deepEqual(ws.sent.at(-1), { type: 'resume', orchestrator_agent_id: ORCH, last_seq: 6, request_id: 'resume-2' });
  for (const event of rest) ws.receive(event);
  assert.deepEqual(shown(timeline), ['user:final:What is 2+2?', 'orchestrator:final:The answer is 4.']);
  assert.equal(timeline.streamMismatches, 0);
  socket.stop();
});

test('a withdrawn draft disappears, its late chunks are ignored, and the retried block shows instead', () => {
  let t = apply(emptyTimeline, [
    { seq: 1, type: 'orchestrator_chat', message: userRow('u1', 'Hi', 't1') },
    { seq: 2, type: 'chat_typing', orchestrator_agent_id: ORCH, is_typing: true },
    chunk(3, 'draft', 'Half an ans'),
    { seq: 4, type: 'chat_stream', orchestrator_agent_id: ORCH, message_id: 'draft', chunk: '', is_complete: true, withdrawn: true },
  ]);
  assert.deepEqual(shown(t), ['user:final:Hi']);
  t = apply(t, [chunk(5, 'draft', 'wer'), chunk(6, 'retry', 'A whole answer'),
    { seq: 7, type: 'chat_stream', orchestrator_agent_id: ORCH, message_id: 'retry', chunk: '', is_complete: true },
    { seq: 8, type: 'orchestrator_chat', message: replyRow('retry', 'A whole answer', 't1') }]);
  assert.deepEqual(shown(t), ['user:final:Hi', 'orchestrator:final:A whole answer']);
  assert.equal(t.streamMismatches, 0);
});

test('events replayed over freshly loaded history (a refresh mid-turn) fill in without duplicates, in place', () => {
  const turn1 = turnEvents({
    firstSeq: 1, user: userRow('u1', 'First', 't1'), reply: replyRow('r1', 'One reply', 't1'), chunks: ['One', ' reply'], turnId: 't1',
    thinking: { id: 'th1', text: 'Let me think' },
  });
  const turn2 = turnEvents({ firstSeq: turn1.length + 1, user: userRow('u2', 'Second', 't2'), reply: replyRow('r2', 'Two replies here', 't2'), chunks: ['Two', ' replies', ' here'], turnId: 't2' });
  const midTurn2 = turn2.slice(0, 4); // user row, typing, two chunks: the page was refreshed here
  // History holds every row saved so far: turn 1 and the second question.
  const history = new TimelineEditor(emptyTimeline);
  history.mergeHistory([userRow('u1', 'First', 't1'), replyRow('r1', 'One reply', 't1'), userRow('u2', 'Second', 't2')], 'replace');
  let t = history.finish();
  // The socket resumes from 0: the host replays its whole window.
  t = apply(t, [...turn1, ...midTurn2]);
  assert.deepEqual(shown(t), ['user:final:First', 'thinking:thinking:th1', 'orchestrator:final:One reply', 'user:final:Second', 'orchestrator:streaming:Two replies']);
  assert.equal(t.rowsSinceHistory, 0, 'replayed rows are not new rows');
  assert.equal(t.activeTurn, 't2');
  t = apply(t, turn2.slice(4));
  assert.deepEqual(shown(t).slice(3), ['user:final:Second', 'orchestrator:final:Two replies here']);
  assert.equal(t.streamMismatches, 0);
});

test('a queued turn: the running reply stays under its own question, the next under its own', () => {
  let t = apply(emptyTimeline, [
    { seq: 1, type: 'orchestrator_chat', message: userRow('u1', 'Q1', 't1') },
    { seq: 2, type: 'chat_typing', orchestrator_agent_id: ORCH, is_typing: true },
    chunk(3, 'r1', 'A1 part'),
    { seq: 4, type: 'orchestrator_chat', message: userRow('u2', 'Q2', 't2') },
    { seq: 5, type: 'turn_queued', orchestrator_agent_id: ORCH, turn_id: 't2', position: 1 },
    chunk(6, 'r1', ' two'),
  ]);
  assert.deepEqual(shown(t), ['user:final:Q1', 'orchestrator:streaming:A1 part two', 'user:final:Q2']);
  assert.equal(itemsInOrder(t)[2].queued, true);
  t = apply(t, [
    { seq: 7, type: 'chat_stream', orchestrator_agent_id: ORCH, message_id: 'r1', chunk: '', is_complete: true },
    { seq: 8, type: 'orchestrator_chat', message: replyRow('r1', 'A1 part two', 't1') },
    { seq: 9, type: 'chat_typing', orchestrator_agent_id: ORCH, is_typing: false },
    { seq: 10, type: 'turn_complete', orchestrator_agent_id: ORCH, turn_id: 't1', status: 'success' },
    { seq: 11, type: 'chat_typing', orchestrator_agent_id: ORCH, is_typing: true },
    chunk(12, 'r2', 'A2'),
  ]);
  assert.equal(t.activeTurn, 't2');
  assert.equal(itemsInOrder(t)[2].queued, false, 'no longer queued once it runs');
  assert.deepEqual(shown(t), ['user:final:Q1', 'orchestrator:final:A1 part two', 'user:final:Q2', 'orchestrator:streaming:A2']);
  // A refresh now shows the same order: history is grouped by turn.
  const refreshed = new TimelineEditor(emptyTimeline);
  refreshed.mergeHistory([userRow('u1', 'Q1', 't1'), userRow('u2', 'Q2', 't2'), replyRow('r1', 'A1 part two', 't1')], 'replace');
  assert.deepEqual(shown(refreshed.finish()), ['user:final:Q1', 'orchestrator:final:A1 part two', 'user:final:Q2']);
});

test('a reply that streamed with a lost chunk is counted as a mismatch and corrected by its final row', () => {
  const t = apply(emptyTimeline, [
    { seq: 1, type: 'orchestrator_chat', message: userRow('u1', 'Q', 't1') },
    { seq: 2, type: 'chat_typing', orchestrator_agent_id: ORCH, is_typing: true },
    chunk(3, 'r1', 'Hello'),
    chunk(5, 'r1', ' world'),
    { seq: 6, type: 'orchestrator_chat', message: replyRow('r1', 'Hello big world', 't1') },
  ]);
  assert.deepEqual(shown(t), ['user:final:Q', 'orchestrator:final:Hello big world']);
  assert.equal(t.streamMismatches, 1);
});

test('a turn that ends without its final row does not leave a blinking draft', () => {
  const t = apply(emptyTimeline, [
    { seq: 1, type: 'orchestrator_chat', message: userRow('u1', 'Q', 't1') },
    { seq: 2, type: 'chat_typing', orchestrator_agent_id: ORCH, is_typing: true },
    chunk(3, 'r1', 'Half'),
    { seq: 4, type: 'chat_typing', orchestrator_agent_id: ORCH, is_typing: false },
    { seq: 5, type: 'turn_complete', orchestrator_agent_id: ORCH, turn_id: 't1', status: 'failed' },
  ]);
  const draft = itemsInOrder(t)[1];
  assert.equal(draft.state, 'final');
  assert.equal(draft.partial, true);
});

test('a streaming reply splits into blocks at blank lines, never inside a code fence', async () => {
  const { splitMarkdownBlocks } = await import('../.build-tests/logic.mjs');
  const text = 'First paragraph\nstill first.\n\n```js\nconst a = 1;\n\nconst b = 2;\n```\n\n\n- item\n- item two\n\n~~~\n``` not a close\n\n~~~\nlast';
  assert.deepEqual(splitMarkdownBlocks(text), [
    'First paragraph\nstill first.',
    '```js\nconst a = 1;\n\nconst b = 2;\n```',
    '- item\n- item two',
    '~~~\n``` not a close\n\n~~~\nlast',
  ]);
  assert.deepEqual(splitMarkdownBlocks('```\nunclosed\n\nstill code'), ['```\nunclosed\n\nstill code'], 'an open fence keeps the rest together');
  assert.deepEqual(splitMarkdownBlocks(''), []);
});
