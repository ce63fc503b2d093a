/**
 * Numeric helpers that reproduce the exact arithmetic of the numpy / torch calls the reference
 * metrics use (pycocotools and Ultralytics 8.1.4), so that ties and float rounding resolve the same
 * way. Pure TS, browser-safe.
 */

/**
 * numpy's pairwise summation (`np.add.reduce` on a contiguous float64 run): blocks of <=128 use
 * 8 interleaved accumulators, longer runs split in halves (multiple of 8).
 *
 * @example
 * pairwiseSum([0.1, 0.2, 0.3]); // same bits as np.sum
 */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < 8; j++) r[j] = a[start + j];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/**
 * `np.linspace(start, stop, num)` (endpoint=True) with numpy's formula: i*step + start, last = stop.
 *
 * @example
 * npLinspace(0, 1, 101)[7]; // 0.07 exactly as numpy computes it
 */
export function npLinspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  if (num > 1) out[num - 1] = stop;
  return out;
}

/**
 * `torch.linspace(0.5, 0.95, 10)` in float32 (CPU kernel: start + step*i for the first half,
 * end - step*(n-1-i) for the second half, all in float32). Ultralytics' IoU thresholds `iouv`.
 */
export function torchLinspaceF32(start: number, end: number, steps: number): Float64Array {
  const f = Math.fround;
  const s = f(start);
  const e = f(end);
  const step = f(f(e - s) / (steps - 1));
  const half = Math.floor(steps / 2);
  const out = new Float64Array(steps);
  for (let i = 0; i < steps; i++) out[i] = i < half ? f(s + f(step * i)) : f(e - f(step * (steps - i - 1)));
  return out;
}

/**
 * `np.interp(x, xp, fp, left, right)` including numpy's rules: index = last j with xp[j] <= x,
 * exact hits return fp[j], x == xp[-1] returns fp[-1], NaN fallbacks as in numpy.
 */
export function npInterp(
  x: ArrayLike<number>,
  xp: ArrayLike<number>,
  fp: ArrayLike<number>,
  left = fp[0],
  right = fp[fp.length - 1],
): Float64Array {
  const n = xp.length;
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (Number.isNaN(v)) {
      out[i] = v;
      continue;
    }
    if (v > xp[n - 1]) out[i] = right;
    else if (v < xp[0]) out[i] = left;
    else {
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = lo + ((hi - lo) >> 1);
        if (v >= xp[mid]) lo = mid + 1;
        else hi = mid;
      }
      const j = lo - 1;
      if (j === n - 1 || xp[j] === v) out[i] = fp[j];
      else {
        const slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
        let r = slope * (v - xp[j]) + fp[j];
        if (Number.isNaN(r)) {
          r = slope * (v - xp[j + 1]) + fp[j + 1];
          if (Number.isNaN(r) && fp[j] === fp[j + 1]) r = fp[j];
        }
        out[i] = r;
      }
    }
  }
  return out;
}

/** `np.trapz(y, x)`: pairwise sum of dx * (y[i+1] + y[i]) / 2. */
export function npTrapz(y: ArrayLike<number>, x: ArrayLike<number>): number {
  const terms = new Float64Array(Math.max(0, y.length - 1));
  for (let i = 0; i < terms.length; i++) terms[i] = ((x[i + 1] - x[i]) * (y[i + 1] + y[i])) / 2;
  return pairwiseSum(terms);
}

/** numpy's float `less`: NaN sorts last. */
function less(a: number, b: number): boolean {
  return a < b || (b !== b && a === a);
}

/** numpy's heapsort fallback of the introsort (`aheapsort`), on idx[lo..lo+n-1]. */
function aheapsort(v: ArrayLike<number>, idx: Int32Array, lo: number, n: number): void {
  const a = (k: number): number => idx[lo + k - 1]; // 1-based view as in numpy
  const set = (k: number, val: number): void => {
    idx[lo + k - 1] = val;
  };
  const sift = (l: number, tmp: number, size: number): void => {
    let i = l;
    let j = l << 1;
    while (j <= size) {
      if (j < size && less(v[a(j)], v[a(j + 1)])) j += 1;
      if (!less(v[tmp], v[a(j)])) break;
      set(i, a(j));
      i = j;
      j += j;
    }
    set(i, tmp);
  };
  for (let l = n >> 1; l > 0; --l) sift(l, a(l), n);
  for (let size = n; size > 1; ) {
    const tmp = a(size);
    set(size, a(1));
    size -= 1;
    sift(1, tmp, size);
  }
}

/**
 * `np.argsort(v)` with numpy's default kind ('quicksort' = introsort, numpy <= 1.24 scalar path):
 * median-of-3 partition, insertion sort for runs of <= 16 elements, heapsort past depth 2*log2(n).
 * Ties come out in the same (unstable) order as numpy, which Ultralytics' metrics depend on.
 *
 * @example
 * npArgsortQuick([3, 1, 2]); // Int32Array [1, 2, 0]
 */
export function npArgsortQuick(v: ArrayLike<number>): Int32Array {
  const num = v.length;
  const idx = new Int32Array(num);
  for (let i = 0; i < num; i++) idx[i] = i;
  if (num < 2) return idx;
  const swap = (i: number, j: number): void => {
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  };
  const stack: number[] = [];
  const depths: number[] = [];
  let pl = 0;
  let pr = num - 1;
  let cdepth = Math.floor(Math.log2(num)) * 2;
  for (;;) {
    if (cdepth < 0) aheapsort(v, idx, pl, pr - pl + 1);
    else {
      while (pr - pl > 15) {
        const pm = pl + ((pr - pl) >> 1);
        if (less(v[idx[pm]], v[idx[pl]])) swap(pm, pl);
        if (less(v[idx[pr]], v[idx[pm]])) swap(pr, pm);
        if (less(v[idx[pm]], v[idx[pl]])) swap(pm, pl);
        const vp = v[idx[pm]];
        let pi = pl;
        let pj = pr - 1;
        swap(pm, pj);
        for (;;) {
          do ++pi;
          while (less(v[idx[pi]], vp));
          do --pj;
          while (less(vp, v[idx[pj]]));
          if (pi >= pj) break;
          swap(pi, pj);
        }
        swap(pi, pr - 1);
        if (pi - pl < pr - pi) {
          stack.push(pi + 1, pr);
          pr = pi - 1;
        } else {
          stack.push(pl, pi - 1);
          pl = pi + 1;
        }
        depths.push(--cdepth);
      }
      for (let pi = pl + 1; pi <= pr; ++pi) {
        const vi = idx[pi];
        const vp = v[vi];
        let pj = pi;
        while (pj > pl && less(vp, v[idx[pj - 1]])) {
          idx[pj] = idx[pj - 1];
          pj--;
        }
        idx[pj] = vi;
      }
    }
    if (stack.length === 0) break;
    pr = stack.pop() as number;
    pl = stack.pop() as number;
    cdepth = depths.pop() as number;
  }
  return idx;
}

/** Stable argsort by descending key (`np.argsort(-v, kind='mergesort')`). */
export function stableArgsortDesc(v: ArrayLike<number>): Int32Array {
  const idx = Array.from({ length: v.length }, (_, i) => i);
  // Array.prototype.sort is stable (ES2019); -a vs -b ordering equals numpy's on -v.
  idx.sort((i, j) => {
    const a = -v[i];
    const b = -v[j];
    return less(a, b) ? -1 : less(b, a) ? 1 : 0;
  });
  return Int32Array.from(idx);
}
