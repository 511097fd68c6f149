import type { FrameScheduler } from './frameScheduler';

export type Reducer<S, A> = (state: S, action: A) => S;
/** `previous` is null on the first call: render everything. */
export type Listener<S> = (state: S, previous: S | null) => void;

/**
 * The smallest store that does the job: state changes only through a pure
 * reducer, and listeners hear about changes once per frame (however many
 * actions ran), with the state they last saw, so each view can skip work when
 * its slice is unchanged (reducers keep unchanged slices identical).
 */
export class ReactiveStore<S, A> {
  private current: S;
  private lastNotified: S;
  private readonly listeners = new Set<Listener<S>>();
  private notifyQueued = false;

  constructor(
    initial: S,
    private readonly reducer: Reducer<S, A>,
    private readonly scheduler: FrameScheduler,
  ) {
    this.current = initial;
    this.lastNotified = initial;
  }

  get state(): S {
    return this.current;
  }

  dispatch(action: A): void {
    const next = this.reducer(this.current, action);
    if (next === this.current) return;
    this.current = next;
    if (this.notifyQueued) return;
    this.notifyQueued = true;
    this.scheduler.schedule(() => this.notify());
  }

  /** Calls `listener` now with the current state, then after every batch of changes. Returns the unsubscribe. */
  subscribe(listener: Listener<S>): () => void {
    this.listeners.add(listener);
    listener(this.current, null);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    this.notifyQueued = false;
    const previous = this.lastNotified;
    const state = this.current;
    this.lastNotified = state;
    for (const listener of this.listeners) listener(state, previous);
  }
}
