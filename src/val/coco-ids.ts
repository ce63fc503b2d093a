/**
 * COCO category ids of the 80 Ultralytics classes (Ultralytics `coco80_to_coco91_class`): the COCO json
 * numbering skips 11 ids. Used to write COCO results for datasets whose class names are COCO's.
 */
export const COCO80_TO_91: readonly number[] = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
  44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85,
  86, 87, 88, 89, 90,
];

const COCO_FIRST = ['person', 'bicycle', 'car', 'motorcycle', 'airplane'];

/** True when a dataset uses the 80 COCO class names in Ultralytics order (then COCO ids are used). */
export function isCoco80(names: readonly string[]): boolean {
  return names.length === 80 && COCO_FIRST.every((n, i) => names[i] === n) && names[79] === 'toothbrush';
}
