/**
 * A binary min-heap of device indices keyed by (time, index): the device that sends next is
 * on top, and ties go to the lower index, so the fleet's order is the same on every run.
 * Holds each device once; its key changes only at the top (after the device sent).
 */
export class DeviceHeap {
  private readonly heap: number[] = [];
  private readonly keyMs: Float64Array;

  constructor(size: number) {
    this.keyMs = new Float64Array(size);
  }

  get size(): number {
    return this.heap.length;
  }

  push(index: number, atMs: number): void {
    this.keyMs[index] = atMs;
    this.heap.push(index);
    this.up(this.heap.length - 1);
  }

  /** The index on top and its time, or undefined when empty. */
  peek(): { index: number; atMs: number } | undefined {
    const index = this.heap[0];
    return index === undefined ? undefined : { index, atMs: this.keyMs[index] };
  }

  /** Gives the top device a new time (Infinity removes it). */
  updateTop(atMs: number): void {
    if (atMs === Number.POSITIVE_INFINITY) {
      const last = this.heap.pop() as number;
      if (this.heap.length === 0) return;
      this.heap[0] = last;
    } else {
      this.keyMs[this.heap[0]] = atMs;
    }
    this.down(0);
  }

  /**
   * Gives any device a new time, wherever it sits (a command changed what it sends next); a
   * device not in the heap is added. Linear in the fleet: for rare events, not every send.
   */
  rekey(index: number, atMs: number): void {
    const position = this.heap.indexOf(index);
    if (position < 0) {
      if (atMs !== Number.POSITIVE_INFINITY) this.push(index, atMs);
      return;
    }
    if (atMs === Number.POSITIVE_INFINITY) {
      const last = this.heap.pop() as number;
      if (position === this.heap.length) return;
      this.heap[position] = last;
    } else this.keyMs[index] = atMs;
    this.up(position);
    this.down(this.heap.indexOf(this.heap[position] === undefined ? index : this.heap[position]));
  }

  private less(a: number, b: number): boolean {
    const ka = this.keyMs[a];
    const kb = this.keyMs[b];
    return ka < kb || (ka === kb && a < b);
  }

  private up(position: number): void {
    const { heap } = this;
    let i = position;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private down(position: number): void {
    const { heap } = this;
    let i = position;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.less(heap[left], heap[smallest])) smallest = left;
      if (right < heap.length && this.less(heap[right], heap[smallest])) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
      i = smallest;
    }
  }
}
