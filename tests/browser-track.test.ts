// Track mode in the browser demo: Chromium's fake camera plays a static scene (bus.jpg as a y4m
// clip, made here with ffmpeg), the page tracks live with ByteTrack, and every object keeps its id
// from frame to frame. Skips when Chromium or ffmpeg is missing (CI installs both).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSite, CHROMIUM, launchChromium, SHARED_DIR, startStaticServer } from './browser-harness.js';

const hasFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
const SKIP = !existsSync(CHROMIUM) ? `${CHROMIUM} not found` : !hasFfmpeg ? 'needs ffmpeg' : false;

interface Tracked { id?: number; label: string; score: number }

test('browser: tracking on the webcam keeps ids stable across frames of a static scene', { skip: SKIP, timeout: 300_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'leyolo-web-track-'));
  const y4m = join(tmp, 'scene.y4m');
  const made = spawnSync('ffmpeg', ['-loglevel', 'error', '-loop', '1', '-i', join(SHARED_DIR, 'fixtures', 'images', 'bus.jpg'), '-t', '2', '-r', '10', '-vf', 'scale=480:640', '-pix_fmt', 'yuv420p', y4m]);
  assert.equal(made.status, 0, String(made.stderr));
  const dist = await buildSite(join(tmp, 'dist'));
  const server = await startStaticServer({ '/': `${dist}/`, '/shared/': `${SHARED_DIR}/` });
  const browser = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`]);
  try {
    const page = browser.page;
    await page.goto(server.url(`/?${new URLSearchParams({ model: '/shared/weights/LeYOLONano.pt', backend: 'wasm', imgsz: '320', track: '1' })}`), { timeout: 60_000 });
    await page.waitForSelector('#status:is([data-state=ready], [data-state=error])', { timeout: 120_000 });
    assert.equal(await page.getAttribute('#status', 'data-state'), 'ready', String(await page.textContent('#status')));
    assert.equal(await page.isChecked('#track'), true, '?track=1 turns tracking on');
    await page.click('#webcam');
    await page.waitForFunction(() => Number(document.getElementById('fps')?.textContent) > 0, null, { timeout: 60_000 });
    // Let the tracker confirm its tracks (a new track is shown from its second matched frame).
    await page.waitForTimeout(3000);
    const samples: Tracked[][] = [];
    for (let i = 0; i < 8; i++) {
      samples.push(JSON.parse((await page.textContent('#detections')) ?? '[]') as Tracked[]);
      await page.waitForTimeout(400);
    }
    await page.click('#webcam');
    // The confident objects (the bus and the nearby people score > 0.5) carry ids, and the same ones
    // in every sample: nothing moves, so a changed id would be a tracking failure.
    const ids = samples.map((s) => s.filter((t) => t.score > 0.5).map((t) => t.id).sort((a, b) => (a ?? 0) - (b ?? 0)));
    assert.ok(ids[0].length >= 2 && ids[0].every((id) => Number.isInteger(id)), `tracked objects with ids: ${JSON.stringify(samples[0])}`);
    for (const s of ids) assert.deepEqual(s, ids[0], `ids stable across frames: ${JSON.stringify(ids)}`);
  } finally {
    await browser.close();
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});
