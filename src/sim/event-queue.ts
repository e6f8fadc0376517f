/**
 * A min-priority queue of scheduled events for the simulator's virtual clock, keyed by
 * (time, insertion order): two events at the same virtual millisecond run in the order they were
 * scheduled, so a run never depends on how a heap happens to break ties.
 */
export interface QueuedEvent<T> {
  readonly atMs: number;
  /** Insertion counter: the tie-breaker. */
  readonly seq: number;
  readonly value: T;
}

function before<T>(a: QueuedEvent<T>, b: QueuedEvent<T>): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}

/** A binary heap; push and pop are O(log n). */
export class EventQueue<T> {
  private readonly heap: QueuedEvent<T>[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(atMs: number, value: T): QueuedEvent<T> {
    const event: QueuedEvent<T> = { atMs, seq: this.nextSeq++, value };
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as QueuedEvent<T>;
      if (!before(event, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
    return event;
  }

  peek(): QueuedEvent<T> | undefined {
    return this.heap[0];
  }

  pop(): QueuedEvent<T> | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    // sift `last` down from the root
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let child = l;
      if (r < n && before(heap[r] as QueuedEvent<T>, heap[l] as QueuedEvent<T>)) child = r;
      const c = heap[child] as QueuedEvent<T>;
      if (!before(c, last)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
