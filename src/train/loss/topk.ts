/**
 * Top-k selection that reproduces which elements PyTorch's CPU `torch.topk(x, k, largest=True)` returns,
 * ties included. For `k * 64 <= n` PyTorch runs `std::partial_sort` over (value, index) pairs in index
 * order with the comparator `a.value > b.value`; libstdc++ implements it as a heap select: heapify the
 * first k, then each later element replaces the heap top only if strictly greater. Ties therefore keep
 * the earliest elements, in a heap-structure-dependent way that this class mirrors step by step.
 * (For `k * 64 > n` PyTorch uses `std::nth_element`, whose tie order differs; distinct values select
 * the same set either way.)
 *
 * The assigner feeds the first k anchors, then only anchors with a positive metric: an element equal to
 * the (non-negative) heap top never enters, so zeros after the first k can be skipped exactly.
 */
export class HeapTopK {
  readonly k: number;
  readonly vals: Float64Array;
  readonly ids: Int32Array;
  private n = 0;

  /**
   * @example
   * const t = new HeapTopK(2); [3, 1, 4, 1, 5].forEach((v, i) => t.offer(v, i)); // t.ids holds {2, 4}
   */
  constructor(k: number) {
    this.k = k;
    this.vals = new Float64Array(k);
    this.ids = new Int32Array(k);
  }

  /** Forget all elements (reuse between gts). */
  reset(): void {
    this.n = 0;
  }

  /** Number of elements currently held (k once the first k were offered). */
  get size(): number {
    return this.n;
  }

  /** Offer the next element of the sequence (elements must come in increasing index order). */
  offer(v: number, id: number): void {
    if (this.n < this.k) {
      this.vals[this.n] = v;
      this.ids[this.n] = id;
      this.n++;
      if (this.n === this.k) this.makeHeap();
      return;
    }
    // comp(*i, *first): new value strictly greater than the heap top (the smallest kept value)
    if (v > this.vals[0]) this.adjust(0, this.k, v, id);
  }

  /** libstdc++ __make_heap. */
  private makeHeap(): void {
    const len = this.k;
    if (len < 2) return;
    for (let parent = (len - 2) >> 1; parent >= 0; parent--) {
      this.adjust(parent, len, this.vals[parent], this.ids[parent]);
    }
  }

  /** libstdc++ __adjust_heap followed by __push_heap, comparator comp(a, b) = a > b. */
  private adjust(hole: number, len: number, v: number, id: number): void {
    const { vals, ids } = this;
    const top = hole;
    let child = hole;
    while (child < (len - 1) >> 1) {
      child = 2 * (child + 1);
      if (vals[child] > vals[child - 1]) child--;
      vals[hole] = vals[child];
      ids[hole] = ids[child];
      hole = child;
    }
    if ((len & 1) === 0 && child === (len - 2) >> 1) {
      child = 2 * (child + 1);
      vals[hole] = vals[child - 1];
      ids[hole] = ids[child - 1];
      hole = child - 1;
    }
    let parent = (hole - 1) >> 1;
    while (hole > top && vals[parent] > v) {
      vals[hole] = vals[parent];
      ids[hole] = ids[parent];
      hole = parent;
      parent = (hole - 1) >> 1;
    }
    vals[hole] = v;
    ids[hole] = id;
  }
}
