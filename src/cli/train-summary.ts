import { join } from 'node:path';
import type { EpochRecord } from '../train/report.js';
import type { TrainResult } from '../train/trainer.js';

/**
 * The epoch whose weights are best.safetensors, found as the trainer picks it: the highest fitness
 * (0.1 mAP50 + 0.9 mAP50-95) among validated epochs, else (nothing validated) the lowest training
 * loss; the first of equals.
 */
function bestEpoch(rows: readonly EpochRecord[]): { row: EpochRecord; validated: boolean } | undefined {
  const validated = rows.filter((r) => Number.isFinite(r['metrics/mAP50-95(B)']));
  if (validated.length > 0) {
    const fit = (r: EpochRecord) => 0.1 * r['metrics/mAP50(B)'] + 0.9 * r['metrics/mAP50-95(B)'];
    return { row: validated.reduce((a, b) => (fit(b) > fit(a) ? b : a)), validated: true };
  }
  const loss = (r: EpochRecord) => r['train/box_loss'] + r['train/cls_loss'] + r['train/dfl_loss'];
  return rows.length > 0 ? { row: rows.reduce((a, b) => (loss(b) < loss(a) ? b : a)), validated: false } : undefined;
}

/**
 * The closing lines of `leyolo train`: how it ended, the best epoch and where the weights are.
 *
 * @example
 * trainSummary(res, { epochs: 10, patience: 100 }, 'runs/train/3');
 * // 'Training finished: 10 epochs, best mAP50-95 0.372 (mAP50 0.561) at epoch 9\n  weights: runs/train/3/weights/{best,last}.safetensors; ...'
 */
export function trainSummary(res: Pick<TrainResult, 'epochs' | 'stopped'>, cfg: { epochs: number; patience: number }, dir: string): string {
  const last = res.epochs.at(-1)?.epoch ?? 0;
  const b = bestEpoch(res.epochs);
  const best = !b ? '' : b.validated
    ? `best mAP50-95 ${b.row['metrics/mAP50-95(B)'].toFixed(3)} (mAP50 ${b.row['metrics/mAP50(B)'].toFixed(3)}) at epoch ${b.row.epoch}`
    : `best (lowest training loss, not validated) at epoch ${b.row.epoch}`;
  const weights = join(dir, 'weights');
  const files = `  weights: ${join(weights, '{best,last}.safetensors')}; metrics: ${join(dir, 'results.csv')}, ${join(dir, 'results.png')}\n`;
  const epochs = (n: number) => `${n} epoch${n === 1 ? '' : 's'}`;
  if (res.stopped === 'interrupted') {
    const head = `Interrupted after ${epochs(last)} of ${cfg.epochs}${best ? `; ${best}` : ''}`;
    return `${head}\n  weights: ${join(weights, 'interrupted.safetensors')}${last > 0 ? ` and ${join(weights, '{best,last}.safetensors')}` : ''}\n  continue with: leyolo train --resume ${dir}\n`;
  }
  if (res.stopped === 'patience') {
    return `Stopped early at epoch ${last} of ${cfg.epochs} (no improvement for ${epochs(cfg.patience)}): ${best}\n${files}`;
  }
  return `Training finished: ${epochs(last)}${best ? `, ${best}` : ''}\n${files}`;
}
