/**
 * Val mode (Ultralytics `model.val(data=...)`): load a dataset, validate, and write the run folder
 * (plots, predictions.json). Dataset files that are broken are reported in `problems` and skipped, as
 * Ultralytics does; images that fail to decode later are in `skipped`, left out of every metric.
 */
import { join } from 'node:path';
import { loadDataset } from '../data/dataset.js';
import type { DatasetProblem } from '../data/types.js';
import type { DetectorLike } from '../detector.js';
import { LeyoloError, guard } from '../errors.js';
import { parseOptions, ValOptionsSchema, type ValOptions } from '../options.js';
import { validate, type ValidateResult } from '../val/validate.js';
import { nextRunDir, writeFileAtomic } from './fs.js';
import type { NodeImageInput } from './load.js';
import { saveValPlots } from './plots.js';

/** What {@link val} returns: the metrics, the dataset's problems and the run folder. */
export interface ValRun extends ValidateResult {
  /** Dataset files that were reported and skipped (or kept with a warning) while loading. */
  problems: DatasetProblem[];
  /** Class names of the dataset. */
  names: string[];
  /** The run folder (plots, predictions.json). */
  dir: string;
}

/** Hooks of {@link val}. */
export interface ValHooks {
  /** The dataset is loaded (e.g. to print its problems before the long part). */
  onDataset?: (d: { images: number; problems: DatasetProblem[]; names: string[] }) => void | Promise<void>;
  /** Images done of total. */
  onProgress?: (done: number, total: number) => void | Promise<void>;
}

/**
 * Validate `model` on a dataset: Ultralytics metrics (P, R, mAP50, mAP50-95, per class) and
 * pycocotools-exact COCO AP.
 *
 * @example
 * const model = await load({ weights: 'LeYOLONano.pt', imgsz: 640 });
 * const r = await val(model, { data: 'coco128.yaml' });
 * console.log(r.ultralytics.mAP5095, r.coco.AP, r.dir);
 */
export function val(model: DetectorLike<NodeImageInput>, options: ValOptions, hooks: ValHooks = {}): Promise<ValRun> {
  return guard('val', async () => {
    const o = parseOptions(ValOptionsSchema, options, 'val');
    const ds = await loadDataset(o.data, { split: o.split, images: o.images });
    await hooks.onDataset?.({ images: ds.items.length, problems: ds.problems, names: ds.names });
    if (model.meta.nc !== ds.names.length) {
      throw new LeyoloError('MODEL_MISMATCH', `the model has ${model.meta.nc} classes but the dataset has ${ds.names.length}`, 'validate with weights trained on this dataset');
    }
    const m = o.imgsz === undefined || o.imgsz === model.meta.imgsz ? model : model.withImgsz(o.imgsz);
    const res = await validate(m, ds, { conf: o.conf, iou: o.iou, maxDet: o.maxDet, batch: o.batch, rect: o.rect }, { onBatch: hooks.onProgress });
    const dir = nextRunDir(o.project, o.name);
    if (o.plots) await saveValPlots(dir, res.ultralytics, res.confusion, ds.names);
    if (o.saveJson) writeFileAtomic(join(dir, 'predictions.json'), JSON.stringify(res.cocoResults));
    return { ...res, problems: ds.problems, names: ds.names, dir };
  });
}
