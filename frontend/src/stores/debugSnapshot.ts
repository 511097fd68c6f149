import { itemsInOrder } from './chatTimeline';
import { messageCount } from './orchestratorState';
import type { OrchestratorStore } from './orchestratorStore';

/** A plain-data view of the store, for tests that compare it with the page and the host. */
export function debugSnapshot(store: OrchestratorStore): unknown {
  const state = store.state;
  return {
    orchestratorId: state.orchestrator?.id ?? null,
    connection: state.connection,
    lastSeq: store.lastSeq,
    typing: state.chat.typing,
    activeTurn: state.chat.activeTurn,
    messageCount: messageCount(state),
    streamMismatches: state.chat.streamMismatches,
    stats: state.stats,
    items: itemsInOrder(state.chat).map((item) =>
      item.kind === 'message'
        ? { kind: item.kind, key: item.key, id: item.id, role: item.role, state: item.state, text: item.text, partial: item.partial }
        : { kind: item.kind, key: item.key }),
  };
}
