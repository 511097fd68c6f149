// What the logic tests (`node --test frontend/tests`) exercise: the modules
// that neither touch the DOM nor the network.
export { Backoff, defaultBackoff, jitteredDelay, nominalDelay } from '../src/services/backoff';
export { SequenceGate } from '../src/services/sequenceGate';
export { ChatSocket, describeClose } from '../src/services/chatSocket';
export { ApiError, createApi } from '../src/services/api';
export { describeTurnError } from '../src/services/errorMessages';
export { emptyTimeline, groupByTurn, itemsInOrder, TimelineEditor } from '../src/stores/chatTimeline';
export { appendHostEvents, emptyEventLog, maxEventEntries } from '../src/stores/eventLog';
export { initialState, isWorking, messageCount, orchestratorReducer, turnCount } from '../src/stores/orchestratorState';
export { OrchestratorStore } from '../src/stores/orchestratorStore';
export { ReactiveStore } from '../src/lib/reactiveStore';
export { immediateScheduler, manualScheduler } from '../src/lib/frameScheduler';
export { splitMarkdownBlocks } from '../src/lib/markdownBlocks';
export { agentHue, applyTeamEvents, emptyTeam, grouped, groupOf, teamLoaded, teamTotals, withLog } from '../src/stores/team';
export { activityLine, budgetUse, countersLine, exactDollars, formatElapsed, stateLabel, uuidV7Time } from '../src/stores/team';
export { agentLogsMerged, agentTimeline, agentViewOpened, applyAgentViewEvents, closedAgentView, filesTouched } from '../src/stores/agentView';
export { needsAttention, notificationsLabel, shouldNotify, teamChanges, titleWithBadge, unseenAfter } from '../src/stores/teamAttention';
export { permissionChanges } from '../src/stores/teamAttention';
export {
  allPermissionsSelected, applyPermissionEvents, askerName, describeResolution, editDiff, emptyPermissionInbox, pendingRequests,
  permissionFailed, permissionResolved, permissionsAnswering, permissionSelected, permissionsLoaded, readableInput,
} from '../src/stores/permissions';
