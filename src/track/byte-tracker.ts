/**
 * BYTETracker of Ultralytics 8.1.4 (`trackers/byte_tracker.py`), step for step: the same lists, the
 * same orders and the same quirks, because the output ids depend on every tie. Browser-safe.
 *
 * One `update` = one tracker frame:
 * 1. split detections: high (score > track_high_thresh) and second (low < score < high; a score
 *    exactly equal to the high threshold is in neither), compared in float32 like numpy;
 * 2. predict tracked+lost ("pool"; unconfirmed tracks are NOT predicted), GMC hook (BoT-SORT);
 * 3. associate pool x high on fused cost 1 - IoU*score, limit match_thresh;
 * 4. still-Tracked unmatched pool tracks x second dets on 1 - IoU, limit 0.5; the rest become Lost;
 * 5. unconfirmed x unmatched high dets on fused cost, limit 0.7; unmatched unconfirmed are Removed;
 * 6. new tracks from unmatched high dets with score >= new_track_thresh (activated at once only on
 *    tracker frame 1, otherwise output from their second matched frame on);
 * 7. lost tracks older than max_time_lost are Removed, lists merged, duplicates dropped.
 * Quirk kept: a lost track removed in step 7 stays in the lost list until the next update (the
 * official subtracts the removed list before extending it), where it may still be matched again.
 */
import { LeyoloError } from '../errors.js';
import type { TrackerConfig } from './config.js';
import type { GmcFrame } from './gmc.js';
import { fuseScore, iouDistance, linearAssignment } from './matching.js';
import { STrack, TrackState, motionModel, multiPredict } from './strack.js';
import type { Motion } from './strack.js';

/** Columns of the rows `update` returns: x1, y1, x2, y2, track id, score, class, detection index. */
export const TRACK_COLS = 8;
const f32 = Math.fround;

/** xyxy [n * 4] float32 of tracks, as the official casts them for IoU. */
function boxesOf(tracks: readonly STrack[]): Float32Array {
  const out = new Float32Array(tracks.length * 4);
  tracks.forEach((t, i) => out.set(t.tlbr(), 4 * i));
  return out;
}

/** `joint_stracks`: a then the b not already in a (by track id). */
function joint(a: readonly STrack[], b: readonly STrack[]): STrack[] {
  const seen = new Set(a.map((t) => t.trackId));
  const out = [...a];
  for (const t of b) if (!seen.has(t.trackId)) (seen.add(t.trackId), out.push(t));
  return out;
}

/** `sub_stracks`: a without the ids in b. */
function sub(a: readonly STrack[], ids: ReadonlySet<number>): STrack[] {
  return a.filter((t) => !ids.has(t.trackId));
}

/** `remove_duplicate_stracks`: of a tracked/lost pair closer than 1 - IoU < 0.15, drop the younger. */
function removeDuplicates(a: STrack[], b: STrack[]): [STrack[], STrack[]] {
  const d = iouDistance(boxesOf(a), boxesOf(b));
  const dupA = new Set<number>();
  const dupB = new Set<number>();
  const lim = f32(0.15);
  for (let p = 0; p < a.length; p++) {
    for (let q = 0; q < b.length; q++) {
      if (!(d[p * b.length + q] < lim)) continue;
      const timeP = a[p].frameId - a[p].startFrame;
      const timeQ = b[q].frameId - b[q].startFrame;
      if (timeP > timeQ) dupB.add(q);
      else dupA.add(p);
    }
  }
  return [a.filter((_, i) => !dupA.has(i)), b.filter((_, i) => !dupB.has(i))];
}

/** What one association pass produced (the official's local lists). */
interface FrameLists {
  activated: STrack[];
  refind: STrack[];
  lost: STrack[];
  removed: STrack[];
}

/**
 * ByteTrack. Feed `update` one frame of detections at a time (float32 rows x1, y1, x2, y2, score,
 * class); it returns the activated tracks as float32 rows of {@link TRACK_COLS}. Ids count from 1 per
 * tracker instance (the official counter is global but reset when a tracker is built).
 *
 * @example
 * const bt = new ByteTracker(BYTETRACK_DEFAULTS);
 * const rows = bt.update(new Float32Array([10, 20, 50, 90, 0.9, 0])); // [10, 20, 50, 90, 1, 0.9, 0, 0]
 */
export class ByteTracker {
  tracked: STrack[] = [];
  lost: STrack[] = [];
  /** Ids of removed tracks (with the official's repeats and its 1000 -> 999 clipping). */
  removedIds: number[] = [];
  frameId = 0;
  readonly maxTimeLost: number;
  protected readonly motion: Motion;
  private count = 0;

  constructor(readonly cfg: TrackerConfig, motion: Motion = motionModel('xyah')) {
    // track.py always passes frame_rate=30: int(30 / 30.0 * track_buffer)
    this.maxTimeLost = Math.trunc((30 / 30) * cfg.track_buffer);
    this.motion = motion;
  }

  /** One tracker frame. `dets`: [n * 6] float32 x1, y1, x2, y2, score, class (n may be 0). */
  update(dets: Float32Array, frame: GmcFrame | null = null): Float32Array {
    checkDets(dets);
    this.frameId++;
    const { high, second } = this.split(dets);
    const unconfirmed = this.tracked.filter((t) => !t.isActivated);
    const pool = joint(this.tracked.filter((t) => t.isActivated), this.lost);
    multiPredict(pool);
    this.compensate(pool, unconfirmed, frame, boxesOf(high));
    const out: FrameLists = { activated: [], refind: [], lost: [], removed: [] };
    const first = linearAssignment(this.dists(pool, high), pool.length, high.length, this.cfg.match_thresh);
    for (const [i, j] of first.matches) this.claim(pool[i], high[j], out);
    this.secondAssociation(first.unmatchedA.map((i) => pool[i]), second, out);
    const left = first.unmatchedB.map((j) => high[j]);
    const third = linearAssignment(this.dists(unconfirmed, left), unconfirmed.length, left.length, 0.7);
    for (const [i, j] of third.matches) (unconfirmed[i].update(left[j], this.frameId), out.activated.push(unconfirmed[i]));
    for (const i of third.unmatchedA) (unconfirmed[i].markRemoved(), out.removed.push(unconfirmed[i]));
    for (const j of third.unmatchedB) {
      const t = left[j];
      if (t.score < this.cfg.new_track_thresh) continue;
      t.activate(this.frameId, () => ++this.count);
      out.activated.push(t);
    }
    this.merge(out);
    return this.rows();
  }

  /** Forget every track and restart ids at 1 (`reset`). */
  reset(): void {
    this.tracked = [];
    this.lost = [];
    this.removedIds = [];
    this.frameId = 0;
    this.count = 0;
  }

  /** Motion compensation hook (BoT-SORT); ByteTrack has none. */
  protected compensate(_pool: STrack[], _unconfirmed: STrack[], _frame: GmcFrame | null, _high: Float32Array): void {}

  /** `get_dists`: 1 - IoU fused with the detection scores. */
  protected dists(tracks: readonly STrack[], dets: readonly STrack[]): Float32Array {
    return fuseScore(iouDistance(boxesOf(tracks), boxesOf(dets)), tracks.length, dets.map((d) => d.score));
  }

  private split(dets: Float32Array): { high: STrack[]; second: STrack[] } {
    // numpy compares the float32 scores with the thresholds cast to float32
    const hi = f32(this.cfg.track_high_thresh);
    const lo = f32(this.cfg.track_low_thresh);
    const high: STrack[] = [];
    const second: STrack[] = [];
    for (let i = 0; i < dets.length / 6; i++) {
      const r = dets.subarray(6 * i, 6 * i + 6);
      if (r[4] > hi) high.push(new STrack(this.motion, r, r[4], r[5], i));
      else if (r[4] > lo && r[4] < hi) second.push(new STrack(this.motion, r, r[4], r[5], i));
    }
    return { high, second };
  }

  private claim(track: STrack, det: STrack, out: FrameLists): void {
    if (track.state === TrackState.Tracked) {
      track.update(det, this.frameId);
      out.activated.push(track);
    } else {
      track.reActivate(det, this.frameId);
      out.refind.push(track);
    }
  }

  private secondAssociation(unmatched: STrack[], second: STrack[], out: FrameLists): void {
    const r = unmatched.filter((t) => t.state === TrackState.Tracked);
    const m = linearAssignment(iouDistance(boxesOf(r), boxesOf(second)), r.length, second.length, 0.5);
    for (const [i, j] of m.matches) this.claim(r[i], second[j], out);
    for (const i of m.unmatchedA) {
      if (r[i].state !== TrackState.Lost) (r[i].markLost(), out.lost.push(r[i]));
    }
  }

  private merge(out: FrameLists): void {
    for (const t of this.lost) {
      if (this.frameId - t.frameId > this.maxTimeLost) (t.markRemoved(), out.removed.push(t));
    }
    let tracked = this.tracked.filter((t) => t.state === TrackState.Tracked);
    tracked = joint(joint(tracked, out.activated), out.refind);
    let lost = sub(this.lost, new Set(tracked.map((t) => t.trackId)));
    lost.push(...out.lost);
    lost = sub(lost, new Set(this.removedIds)); // the removed list as it was BEFORE this update
    [this.tracked, this.lost] = removeDuplicates(tracked, lost);
    this.removedIds.push(...out.removed.map((t) => t.trackId));
    if (this.removedIds.length > 1000) this.removedIds = this.removedIds.slice(-999);
  }

  private rows(): Float32Array {
    const act = this.tracked.filter((t) => t.isActivated);
    const out = new Float32Array(act.length * TRACK_COLS);
    act.forEach((t, i) => out.set([...t.tlbr(), t.trackId, t.score, t.cls, t.idx], i * TRACK_COLS));
    return out;
  }
}

function checkDets(dets: Float32Array): void {
  if (dets.length % 6 !== 0) {
    throw new LeyoloError('BAD_ARGUMENT', `tracker: detections must be rows of 6 numbers (x1, y1, x2, y2, score, class), got ${dets.length} numbers`, 'pass one row per detection');
  }
  for (let k = 0; k < dets.length; k++) {
    if (!Number.isFinite(dets[k])) throw new LeyoloError('BAD_ARGUMENT', `tracker: detection ${Math.floor(k / 6)} has a non-finite value`, 'pass finite boxes, scores and classes');
  }
}
