import { LeyoloError } from '../errors.js';
import { choice, int, str } from './args.js';
import type { ScaleName } from '../model/table.js';

export const SCALES = ['nano', 'small', 'medium', 'large'] as const;

/** Options shared by commands that load a model. */
export const MODEL_OPTIONS = {
  weights: { type: 'string' },
  model: { type: 'string' },
  imgsz: { type: 'string' },
  device: { type: 'string' },
  threads: { type: 'string' },
} as const;

/** Validated model options (weights, model scale, imgsz, threads); Node runs on CPU only. */
export function modelOptions(v: Record<string, unknown>, defImgsz = 640): { weights?: string; model: ScaleName; imgsz: number; threads?: number } {
  const device = str(v.device) ?? 'cpu';
  if (device !== 'cpu') {
    throw new LeyoloError('BAD_ARGUMENT', `--device ${device} is not available in Node (onnxruntime-node CPU build)`, 'use --device cpu, or the browser build for WebGPU');
  }
  const imgsz = int('imgsz', v.imgsz, defImgsz, 32, 4096);
  if (imgsz % 32 !== 0) throw new LeyoloError('BAD_ARGUMENT', `--imgsz must be a multiple of 32, got ${imgsz}`, `e.g. --imgsz ${Math.round(imgsz / 32) * 32 || 32}`);
  return {
    weights: str(v.weights),
    model: choice('model', v.model, SCALES, 'nano'),
    imgsz,
    threads: v.threads === undefined ? undefined : int('threads', v.threads, 2, 1, 256),
  };
}
