/**
 * Runs queued work once per animation frame, so a flood of WebSocket events
 * costs one reduce and one render per frame instead of one per event (the
 * original froze at ~100 events/s doing the latter). Hidden tabs get no
 * animation frames, so there it falls back to a timer to keep memory bounded.
 */
export interface FrameScheduler {
  /** Queues `task` for the next frame; tasks run in the order queued. */
  schedule(task: () => void): void;
}

export function animationFrameScheduler(win: Window = window): FrameScheduler {
  let queue: Array<() => void> = [];
  let pending = false;

  // Tasks queued while running (a reduce queues a render) run in the same frame.
  const run = (): void => {
    while (queue.length > 0) {
      const tasks = queue;
      queue = [];
      for (const task of tasks) runReportingErrors(task, win);
    }
    pending = false;
  };

  return {
    schedule(task) {
      queue.push(task);
      if (pending) return;
      pending = true;
      if (win.document.hidden) win.setTimeout(run, 250);
      else win.requestAnimationFrame(run);
    },
  };
}

/** A failing task must not stop the ones after it (or every later frame): its error is rethrown on its own. */
function runReportingErrors(task: () => void, win: Window): void {
  try {
    task();
  } catch (error) {
    win.setTimeout(() => {
      throw error;
    }, 0);
  }
}

/** Runs tasks at once: for tests and for code that must observe its own effects synchronously. */
export const immediateScheduler: FrameScheduler = { schedule: (task) => task() };

/** Collects tasks until `flush()`: lets tests decide when a "frame" happens. */
export function manualScheduler(): FrameScheduler & { flush(): void; readonly pending: number } {
  let queue: Array<() => void> = [];
  return {
    schedule(task) {
      queue.push(task);
    },
    flush() {
      while (queue.length > 0) {
        const tasks = queue;
        queue = [];
        for (const task of tasks) task();
      }
    },
    get pending() {
      return queue.length;
    },
  };
}
