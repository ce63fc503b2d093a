/**
 * Detection with an NMS export (`leyolo export --nms`): the graph already returns final boxes, so
 * the detector only letterboxes, runs the session and maps rows of `detections` [K, 7] (batch, x1,
 * y1, x2, y2 in input pixels, score, class) back to original-image pixels. Thresholds are baked
 * into the file: a `conf` above the baked one filters further, `maxDet` below it truncates,
 * `classes` filters; `iou`, `agnostic` and `multiLabel` are those of the export.
 */
import { Detector, resolveDetectOptions, type Detection, type DetectOptions, type ModelMeta } from '../detector.js';
import type { Engine, ForwardOutput } from '../engine.js';
import { LeyoloError, asLeyoloError } from '../errors.js';
import { letterbox, toTensor, type LetterboxMode } from '../image/letterbox.js';
import type { RgbImage } from '../image/types.js';
import type { NodeImageInput } from './load.js';
import { checkDetectionRows, type DetectorSpec } from '../onnx/detector-spec.js';
import type { Session } from './session.js';
import { scaleBoxes } from '../postprocess/index.js';
import { runDetectorSession } from './onnx-engine.js';

/** Holds the session for Detector's dispose(); forward passes go through NmsDetector. */
class SessionHolder implements Engine {
  readonly backend = 'onnxruntime-node/cpu (in-graph NMS)';
  constructor(readonly session: Session) {}
  async run(): Promise<ForwardOutput> {
    throw new LeyoloError('RUNTIME', 'an NMS export has no decoded output', 'use detect() on this detector');
  }
  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/**
 * A Detector over an NMS export; `fixed` is the file's static input [H, W] (null when dynamic),
 * `spec` its validated description (input and output names, classes). Rows that do not name an
 * image of the batch and a class of the model are BAD_MODEL, not garbage detections.
 *
 * @example
 * const det = new NmsDetector(meta, session, decodeNodeInput, [640, 640], inspectOnnxDetector(bytes));
 * const boxes = await det.detect('bus.jpg');
 */
export class NmsDetector extends Detector<NodeImageInput> {
  private readonly holder: SessionHolder;
  constructor(meta: ModelMeta, session: Session, decode: (x: NodeImageInput) => Promise<RgbImage>, private readonly fixed: [number, number] | null, private readonly spec: DetectorSpec) {
    const holder = new SessionHolder(session);
    super(meta, holder, decode);
    this.holder = holder;
  }

  override async detectImages(images: RgbImage[], opts?: DetectOptions, mode?: LetterboxMode): Promise<Detection[][]> {
    try {
      return await this.detectUnguarded(images, opts, mode);
    } catch (e) {
      throw asLeyoloError(e, 'detect');
    }
  }

  private async detectUnguarded(images: RgbImage[], opts?: DetectOptions, mode?: LetterboxMode): Promise<Detection[][]> {
    this.assertOpen();
    const o = resolveDetectOptions(opts, this.meta.nc);
    const t0 = performance.now();
    const same = images.every((im) => im.width === images[0].width && im.height === images[0].height);
    const lbMode: LetterboxMode = mode ?? (this.fixed || !same ? 'square' : 'predict');
    const size: number | [number, number] = this.fixed ?? this.meta.imgsz;
    const boxed = images.map((im) => letterbox(im, { size, mode: lbMode, stride: Math.max(...this.meta.strides) }));
    const { width: W, height: H } = boxed[0].image;
    const plane = 3 * W * H;
    const input = new Float32Array(images.length * plane);
    boxed.forEach((b, i) => toTensor(b.image, input.subarray(i * plane, (i + 1) * plane)));
    const t1 = performance.now();
    const res = await runDetectorSession(this.holder.session, this.spec, input, [images.length, 3, H, W]);
    const t2 = performance.now();
    const rows = res.detections.data as Float32Array;
    checkDetectionRows(this.spec, res.detections.dims, rows, images.length);
    const keep = o.classes ? new Set(o.classes) : null;
    const per: Detection[][] = images.map(() => []);
    for (let k = 0; k < res.detections.dims[0]; k++) {
      const r = rows.subarray(7 * k, 7 * k + 7);
      const [b, cls] = [r[0], r[6]];
      if (r[5] <= o.conf || (keep && !keep.has(cls)) || per[b].length >= o.maxDet) continue;
      per[b].push({ box: [r[1], r[2], r[3], r[4]], score: r[5], classId: cls, label: '' });
    }
    const out = per.map((dets, i) => {
      const info = boxed[i].info;
      return scaleBoxes(dets, { w: W, h: H }, { w: info.srcW, h: info.srcH }, { gain: info.ratio, padX: info.padX, padY: info.padY })
        .map((d) => ({ box: d.box, score: d.score, classId: d.classId, label: this.meta.names[d.classId] ?? String(d.classId) }));
    });
    this.times.preprocess += t1 - t0;
    this.times.inference += t2 - t1;
    this.times.postprocess += performance.now() - t2;
    return out;
  }
}
