// A discrete-event scheduler over a virtual clock: events run in (time, insertion order), so a
// run depends only on the seed. A binary heap keeps push/pop O(log n).

interface Event {
  readonly timeMs: number;
  readonly sequence: number;
  readonly run: () => void;
}

export class Scheduler {
  private heap: Event[] = [];
  private sequence = 0;
  nowMs = 0;
  executed = 0;

  at(timeMs: number, run: () => void): void {
    this.push({ timeMs: Math.max(timeMs, this.nowMs), sequence: this.sequence++, run });
  }

  after(delayMs: number, run: () => void): void {
    this.at(this.nowMs + delayMs, run);
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Runs the next event; false when none is left or it lies beyond `untilMs`. */
  step(untilMs: number): boolean {
    const next = this.heap[0];
    if (next === undefined || next.timeMs > untilMs) return false;
    this.pop();
    this.nowMs = next.timeMs;
    this.executed++;
    next.run();
    return true;
  }

  private less(a: Event, b: Event): boolean {
    return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.sequence < b.sequence);
  }

  private push(event: Event): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.less(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && this.less(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}
