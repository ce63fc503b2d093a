#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import('../dist/cli/main.js').catch((e) => {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('error[RUNTIME]: leyolo is not built\n  run `npm run build` (npm ci does it for you)\n');
    process.exit(1);
  }
  throw e;
});
