/**
 * Reliability soak (issue 9): memory stays flat over many detect() calls, and concurrent calls give
 * the same results as sequential ones.
 *
 *   node --import tsx dev/soak.ts [calls=3000] [imgsz=320]
 *
 * Prints RSS after a 50-call warm-up and after `calls` calls (bus.jpg bytes, decoded each time), and
 * whether 16 concurrent detect() calls on 16 different images equal the same calls made one by one.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { load } from '../src/node/model.js';

const shared = join(import.meta.dirname, '..', '..', 'shared');
const calls = Number(process.argv[2] ?? 3000);
const imgsz = Number(process.argv[3] ?? 320);
const model = await load({ weights: join(shared, 'weights', 'LeYOLONano.pt'), imgsz });
const bus = new Uint8Array(readFileSync(join(shared, 'fixtures', 'images', 'bus.jpg')));
const mb = () => process.memoryUsage().rss / 2 ** 20;
for (let i = 0; i < 50; i++) await model.detect(bus);
const rss0 = mb();
const t0 = performance.now();
for (let i = 0; i < calls; i++) await model.detect(bus);
const rss1 = mb();
console.log(`${calls} detect() calls at ${imgsz}: RSS ${rss0.toFixed(0)} -> ${rss1.toFixed(0)} MB (${(rss1 - rss0 >= 0 ? '+' : '')}${(rss1 - rss0).toFixed(0)} MB), ${((performance.now() - t0) / calls).toFixed(1)} ms/call`);
const dir = join(shared, 'datasets', 'coco128', 'images', 'train2017');
const files = readdirSync(dir).sort().slice(0, 16).map((f) => join(dir, f));
const sequential = [];
for (const f of files) sequential.push(await model.detect(f));
const concurrent = await Promise.all(files.map((f) => model.detect(f)));
console.log(`16 concurrent detect() calls equal the sequential ones: ${isDeepStrictEqual(sequential, concurrent)}`);
await model.dispose();
