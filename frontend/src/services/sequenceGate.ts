/**
 * Puts a host's event stream back in `seq` order, exactly once: duplicates
 * (an event replayed after it already arrived live) are dropped, and an event
 * that arrives after a gap is held until the gap is filled by a resume. The
 * transport delivers in order on one connection, so gaps and duplicates come
 * from reconnects; this makes them harmless whatever their cause.
 */
export class SequenceGate<E extends { seq: number }> {
  private last: number;
  private readonly held = new Map<number, E>();
  private duplicateCount = 0;

  constructor(lastSeq = 0) {
    this.last = lastSeq;
  }

  /** The highest seq delivered with nothing missing before it. */
  get lastSeq(): number {
    return this.last;
  }

  get duplicates(): number {
    return this.duplicateCount;
  }

  /** Events waiting for an earlier one. */
  get heldCount(): number {
    return this.held.size;
  }

  /** Takes one event; returns the events that are now deliverable, in order. */
  accept(event: E): E[] {
    if (event.seq <= this.last || this.held.has(event.seq)) {
      this.duplicateCount += 1;
      return [];
    }
    this.held.set(event.seq, event);
    return this.drain();
  }

  /**
   * Continues after `lastSeq` without the events before it (the host said they
   * left its window, and history is reloaded instead). Held events after it are
   * delivered if they are now contiguous.
   */
  skipTo(lastSeq: number): E[] {
    for (const seq of [...this.held.keys()]) if (seq <= lastSeq) this.held.delete(seq);
    this.last = Math.max(this.last, lastSeq);
    return this.drain();
  }

  /** Forgets everything: a new stream (the host restarted and numbers from 1 again). */
  reset(lastSeq = 0): void {
    this.held.clear();
    this.last = lastSeq;
  }

  private drain(): E[] {
    const ready: E[] = [];
    for (let next = this.held.get(this.last + 1); next !== undefined; next = this.held.get(this.last + 1)) {
      this.held.delete(next.seq);
      this.last = next.seq;
      ready.push(next);
    }
    return ready;
  }
}
