/**
 * Candidate detections: the boxes/scores/classes that pass the confidence threshold, before NMS.
 * Struct-of-arrays in typed arrays so that tens of thousands of candidates (conf 0.001, multi-label)
 * cost no per-object allocation.
 */

/**
 * Candidates for one image. Boxes are xyxy in INPUT-TENSOR pixels (letterboxed), float32 like the
 * official pipeline. With multi-label there is one entry per (anchor, class) pair, so a box repeats.
 *
 * @example
 * const c = candidatesFromDecoded(decoded, 80, 8400, 0.25, false);
 * for (let i = 0; i < c.count; i++) console.log(c.classIds[i], c.scores[i], c.boxes.subarray(4 * i, 4 * i + 4));
 */
export interface Candidates {
  /** Number of valid entries (the arrays may be longer). */
  count: number;
  /** [count * 4] xyxy, input-tensor pixels. */
  boxes: Float32Array;
  /** [count] class probability (sigmoid of the class logit). */
  scores: Float32Array;
  /** [count] class index. */
  classIds: Int32Array;
  /** [count] anchor index n in 0..N-1 (level-major, then row-major y, x). */
  anchorIds: Int32Array;
}

/** A final detection. Coordinates are xyxy; see the producing function for the pixel space. */
export interface Detection {
  box: [number, number, number, number];
  score: number;
  classId: number;
}

/** Growable Candidates (doubling typed arrays); `finish()` returns trimmed views. */
export class CandidateBuilder {
  private boxes: Float32Array;
  private scores: Float32Array;
  private classIds: Int32Array;
  private anchorIds: Int32Array;
  private n = 0;

  constructor(capacity = 256) {
    const cap = Math.max(1, capacity);
    this.boxes = new Float32Array(cap * 4);
    this.scores = new Float32Array(cap);
    this.classIds = new Int32Array(cap);
    this.anchorIds = new Int32Array(cap);
  }

  /** Append one candidate; x1..y2 are rounded to float32 on store. */
  push(x1: number, y1: number, x2: number, y2: number, score: number, classId: number, anchor: number): void {
    if (this.n === this.scores.length) this.grow();
    const i = this.n++;
    const b = this.boxes;
    b[4 * i] = x1;
    b[4 * i + 1] = y1;
    b[4 * i + 2] = x2;
    b[4 * i + 3] = y2;
    this.scores[i] = score;
    this.classIds[i] = classId;
    this.anchorIds[i] = anchor;
  }

  finish(): Candidates {
    const n = this.n;
    return {
      count: n,
      boxes: this.boxes.subarray(0, 4 * n),
      scores: this.scores.subarray(0, n),
      classIds: this.classIds.subarray(0, n),
      anchorIds: this.anchorIds.subarray(0, n),
    };
  }

  private grow(): void {
    const cap = this.scores.length * 2;
    const boxes = new Float32Array(cap * 4);
    boxes.set(this.boxes);
    const scores = new Float32Array(cap);
    scores.set(this.scores);
    const classIds = new Int32Array(cap);
    classIds.set(this.classIds);
    const anchorIds = new Int32Array(cap);
    anchorIds.set(this.anchorIds);
    this.boxes = boxes;
    this.scores = scores;
    this.classIds = classIds;
    this.anchorIds = anchorIds;
  }
}
