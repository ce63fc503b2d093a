/**
 * Augmentation hyper-parameters (Ultralytics default.yaml names and defaults). `mosaic` is a probability;
 * `closeMosaic` is the number of final epochs the trainer runs without mosaic (the trainer applies it
 * by passing `mosaic: false` to buildTrainSample).
 *
 * @example
 * const hyp: AugmentHyp = { ...DEFAULT_HYP, fliplr: 0 };
 */
export interface AugmentHyp {
  hsv_h: number;
  hsv_s: number;
  hsv_v: number;
  degrees: number;
  translate: number;
  scale: number;
  shear: number;
  perspective: number;
  flipud: number;
  fliplr: number;
  mosaic: number;
  closeMosaic: number;
}

/** Ultralytics 8.1.4 defaults. */
export const DEFAULT_HYP: Readonly<AugmentHyp> = Object.freeze({
  hsv_h: 0.015, hsv_s: 0.7, hsv_v: 0.4, degrees: 0, translate: 0.1, scale: 0.5, shear: 0, perspective: 0,
  flipud: 0, fliplr: 0.5, mosaic: 1, closeMosaic: 10,
});

/**
 * Whether mosaic is on for a 0-based epoch (off for the last `closeMosaic` epochs, as Ultralytics'
 * `close_mosaic`).
 *
 * @example
 * mosaicEnabled(95, 100, DEFAULT_HYP); // false
 */
export function mosaicEnabled(epoch: number, epochs: number, hyp: Pick<AugmentHyp, 'mosaic' | 'closeMosaic'>): boolean {
  return hyp.mosaic > 0 && epoch < epochs - hyp.closeMosaic;
}
