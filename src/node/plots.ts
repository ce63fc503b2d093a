import sharp from 'sharp';
import { join } from 'node:path';
import { writeFileAtomic } from './fs.js';
import { confusionMatrixSvg, f1CurveSvg, prCurveSvg, type DetResult, type ConfusionMatrix } from '../metrics/index.js';

/** Render an SVG string to a PNG file (atomic write). */
export async function svgToPng(svg: string, path: string): Promise<void> {
  writeFileAtomic(path, await sharp(Buffer.from(svg)).png().toBuffer());
}

/**
 * The val plots Ultralytics users look at: PR curve, F1 curve, normalised confusion matrix.
 * Returns the written paths.
 */
export async function saveValPlots(dir: string, res: DetResult, cm: ConfusionMatrix, names: readonly string[]): Promise<string[]> {
  const files: [string, string][] = [
    ['PR_curve.png', prCurveSvg(res)],
    ['F1_curve.png', f1CurveSvg(res)],
    ['confusion_matrix_normalized.png', confusionMatrixSvg(cm, names, { normalize: true })],
  ];
  for (const [name, svg] of files) await svgToPng(svg, join(dir, name));
  return files.map(([n]) => join(dir, n));
}
