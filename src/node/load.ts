/**
 * The Node detector of a checkpoint: the ONNX graph built from our model table, an onnxruntime-node
 * session, sharp decoding. `load()` (model.ts) picks this or the ONNX-file loader (onnx.ts).
 */
import * as ort from 'onnxruntime-node';
import { Detector, type ModelMeta } from '../detector.js';
import type { Engine, ForwardOutput } from '../engine.js';
import { LeyoloError } from '../errors.js';
import { decodeImage } from './decode.js';
import { fromRaw } from '../image/raw.js';
import type { RgbImage } from '../image/types.js';
import { modelOfCheckpoint } from '../model/from-checkpoint.js';
import type { ScaleName } from '../model/table.js';
import { buildInferenceGraph } from '../onnx/inference.js';
import { createSession, type Session } from './session.js';
import type { Checkpoint } from '../weights/pt.js';

/** What Node's `detect()` accepts: a file path, encoded image bytes, or raw pixels. */
export type NodeImageInput = string | Uint8Array | RgbImage | { data: Uint8Array | Uint8ClampedArray; width: number; height: number; channels: 1 | 3 | 4 };

/** Options of {@link load}. */
export interface LoadOptions {
  /** A .pt, .safetensors or exported .onnx file. Default: $LEYOLO_WEIGHTS, the cache, then download. */
  weights?: string;
  /** Which official model to fetch when `weights` is not given (default 'nano'). */
  model?: ScaleName;
  /** Inference size (default 640): predict letterboxes to a stride-multiple rectangle within it. */
  imgsz?: number;
  /** Intra-op threads (default: all cores). */
  threads?: number;
  /** Images with more pixels are refused from their header, before decoding (default 100 M). */
  maxPixels?: number;
}

/** A detector loaded in Node. */
export type NodeDetector = Detector<NodeImageInput>;

/** Build a Node detector from an already-parsed checkpoint (used by val and train too). */
export async function fromCheckpoint(ck: Checkpoint, o: { imgsz: number; threads?: number; scale?: ScaleName; maxPixels?: number }): Promise<NodeDetector> {
  const m = modelOfCheckpoint(ck, o.scale);
  // Dynamic batch and size: predict letterboxes to rectangles that differ per image.
  const graph = buildInferenceGraph(m, ck.stateDict, ck.bn, { batch: 'dynamic', height: 'dynamic', width: 'dynamic', heads: false, decode: true });
  const session = await createSession(graph, { threads: o.threads });
  const names = ck.names.length === ck.nc ? ck.names : Array.from({ length: ck.nc }, (_, i) => ck.names[i] ?? String(i));
  const meta: ModelMeta = { scale: m.scale, nc: m.nc, names, strides: m.strides, imgsz: o.imgsz };
  return new Detector(meta, new NodeEngine(session), nodeDecoder(o.maxPixels));
}

/** Path or encoded bytes go through sharp; raw pixel objects are wrapped. */
export async function decodeNodeInput(x: NodeImageInput, maxPixels?: number): Promise<RgbImage> {
  if (typeof x === 'string' || x instanceof Uint8Array) return decodeImage(x, { maxPixels });
  if (typeof x !== 'object' || x === null || !('data' in x)) {
    throw new LeyoloError('BAD_ARGUMENT', `cannot use a ${x === null ? 'null' : typeof x} as an image`, 'pass a file path, encoded image bytes (Uint8Array) or { data, width, height, channels }');
  }
  if (!(x.data instanceof Uint8Array || x.data instanceof Uint8ClampedArray)) {
    throw new LeyoloError('BAD_ARGUMENT', 'raw image data must be a Uint8Array or Uint8ClampedArray', 'pass 8-bit HWC pixels');
  }
  if ('channels' in x) return fromRaw(x.data, x.width, x.height, x.channels);
  return fromRaw(x.data, x.width, x.height, 3);
}

/** The decoder a Node detector uses, with its pixel limit. */
export function nodeDecoder(maxPixels?: number): (x: NodeImageInput) => Promise<RgbImage> {
  return (x) => decodeNodeInput(x, maxPixels);
}

/** onnxruntime-node engine: one session, outputs named `decoded` and/or `p3`, `p4`, `p5`. */
export class NodeEngine implements Engine {
  readonly backend = 'onnxruntime-node/cpu';
  private readonly outNames: string[];
  constructor(private readonly session: Session) {
    this.outNames = [...session.outputNames];
  }

  async run(input: Float32Array, dims: [number, number, number, number]): Promise<ForwardOutput> {
    const feeds = { [this.session.inputNames[0]]: new ort.Tensor('float32', input, dims) };
    const res = await this.session.run(feeds);
    const t = (k: string) => ({ shape: [...res[k].dims], data: res[k].data as Float32Array });
    if (this.outNames.includes('decoded')) return { decoded: t('decoded') };
    if (this.outNames.includes('output0')) return { decoded: t('output0') }; // official Ultralytics export
    return { heads: this.outNames.filter((k) => /^p\d$/.test(k)).map(t) };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
