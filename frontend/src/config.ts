/** Rows the page loads at start (the original asked for 2000): the newest first, then older pages in the background. */
export const historyLimit = 2000;
export const firstHistoryPage = 200;
/** The stores' largest page. */
export const historyPageSize = 1000;
/** Bubbles rendered at first; more render as the user scrolls up (keeps the DOM small with long histories). */
export const renderWindow = 150;
/** A host whose start time moved by more than this restarted: its event numbering started over. */
export const hostRestartToleranceMs = 5000;
