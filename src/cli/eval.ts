import { LeyoloError } from '../errors.js';
import { cocoEval, cocoSummary, formatCocoStats, type CocoDet, type CocoGt } from '../metrics/index.js';
import { readJson } from '../node/json.js';
import { writeFileAtomic } from '../node/fs.js';
import { parse, str, type Options } from './args.js';

export const HELP = `Usage: leyolo eval --gt annotations.json --dt results.json [--json FILE]
Score any detector's COCO-format results file against COCO ground truth with leyolo's
pycocotools-exact COCOeval (bbox). No model involved.

  --gt FILE     COCO ground truth (instances_*.json)
  --dt FILE     detections, COCO results format: [{ image_id, category_id, bbox: [x, y, w, h], score }]
  --json FILE   also write { coco: { AP, AP50, ... } }
`;

/** eval's options (every one is described in {@link HELP}). */
export const OPTIONS = { gt: { type: 'string' }, dt: { type: 'string' }, json: { type: 'string' } } satisfies Options;

function checkGt(gt: CocoGt, path: string): void {
  if (!gt || !Array.isArray(gt.images) || !Array.isArray(gt.annotations) || !Array.isArray(gt.categories)) {
    throw new LeyoloError('BAD_JSON', `--gt ${path} is not a COCO ground-truth file (needs images, annotations and categories)`, 'pass the instances_*.json annotations file');
  }
}

function checkDt(dt: CocoDet[], gt: CocoGt, path: string): void {
  if (!Array.isArray(dt)) throw new LeyoloError('BAD_JSON', `--dt ${path} must be a JSON array of detections`, 'use the COCO results format: [{ image_id, category_id, bbox: [x, y, w, h], score }]');
  const images = new Set(gt.images.map((i) => i.id));
  dt.forEach((d, i) => {
    const ok = d && Number.isFinite(d.image_id) && Number.isFinite(d.category_id) && Array.isArray(d.bbox) && d.bbox.length === 4 && Number.isFinite(d.score);
    if (!ok) throw new LeyoloError('BAD_JSON', `--dt ${path}: entry ${i} is not { image_id, category_id, bbox: [x, y, w, h], score }`, 'fix the results file (COCO results format)');
    // pycocotools' loadRes asserts the same thing.
    if (!images.has(d.image_id)) throw new LeyoloError('BAD_JSON', `--dt ${path}: entry ${i} has image_id ${d.image_id}, which is not in the ground truth`, 'results must only refer to images of --gt');
  });
}

/** `leyolo eval`: COCOeval of a results file. */
export async function run(argv: string[]): Promise<void> {
  const { values: v } = parse('eval', argv, OPTIONS, 0);
  if (v.help) return void process.stdout.write(HELP);
  const gtPath = str(v.gt);
  const dtPath = str(v.dt);
  if (!gtPath || !dtPath) throw new LeyoloError('BAD_ARGUMENT', 'eval needs --gt and --dt', 'usage: leyolo eval --gt annotations.json --dt results.json');
  const gt = readJson<CocoGt>(gtPath, '--gt');
  checkGt(gt, gtPath);
  const dt = readJson<CocoDet[]>(dtPath, '--dt');
  checkDt(dt, gt, dtPath);
  const res = cocoEval(gt, dt);
  process.stdout.write(`${formatCocoStats(res.stats)}\n`);
  const out = str(v.json);
  if (out) writeFileAtomic(out, `${JSON.stringify({ coco: cocoSummary(res.stats) }, null, 1)}\n`, [gtPath, dtPath]);
}
