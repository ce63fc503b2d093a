// Preloaded into CLI processes run by the fuzz runner: on exit, write the process's peak RSS (kB) to
// $LEYOLO_FUZZ_RSS, so memory is measured by the kernel's own high-water mark, not by sampling.
import { writeFileSync } from 'node:fs';

const file = process.env.LEYOLO_FUZZ_RSS;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
