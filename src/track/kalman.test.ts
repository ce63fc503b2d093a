// Kalman filters checked by hand: with a fresh track the covariance only couples each coordinate with
// its own velocity, so predict and update reduce to 2x2 scalar algebra written out below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KalmanFilterXYAH, KalmanFilterXYWH } from './kalman.js';

// Closed forms evaluated in float64 in a different order than the matrix code: a few ulps apart.
const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('XYAH: initiate, predict, update by hand', () => {
  const kf = new KalmanFilterXYAH();
  const h = 40;
  const g0 = kf.initiate([100, 200, 0.5, h]);
  // initiate: position std 2h/20 = 4, aspect 1e-2, velocity std 10h/160 = 2.5, aspect velocity 1e-5
  close(g0.cov[0], 16, 'P0 xx');
  close(g0.cov[2 * 9], 1e-4, 'P0 aa');
  close(g0.cov[4 * 9], 6.25, 'P0 vxvx');
  close(g0.cov[6 * 9], 1e-10, 'P0 vava');
  assert.equal(g0.cov[4], 0, 'no x-vx coupling yet');
  const g1 = kf.predict(g0);
  // predict: Pxx + Pvv + (h/20)^2, Pxv = Pvv, Pvv + (h/160)^2
  close(g1.cov[0], 16 + 6.25 + 4, 'P1 xx');
  close(g1.cov[4], 6.25, 'P1 x-vx');
  close(g1.cov[4 * 9], 6.25 + 0.0625, 'P1 vxvx');
  close(g1.cov[2 * 9], 1e-4 + 1e-10 + 1e-4, 'P1 aa');
  // update with x measured 2 px right: S = Pxx + (h/20)^2, K = [Pxx, Pxv] / S
  const g2 = kf.update(g1, [102, 200, 0.5, h]);
  const s = 26.25 + 4;
  close(g2.mean[0], 100 + (2 * 26.25) / s, 'x');
  close(g2.mean[4], (2 * 6.25) / s, 'vx');
  close(g2.mean[1], 200, 'y unchanged');
  close(g2.cov[0], 26.25 - (26.25 * 26.25) / s, 'P2 xx');
  close(g2.cov[4], 6.25 - (26.25 * 6.25) / s, 'P2 x-vx');
  close(g2.cov[4 * 9], 6.3125 - (6.25 * 6.25) / s, 'P2 vxvx');
  // the next predict moves x by its velocity
  close(kf.predict(g2).mean[0], g2.mean[0] + g2.mean[4], 'x + vx');
});

test('XYWH: stds follow width for x and w, height for y and h', () => {
  const kf = new KalmanFilterXYWH();
  const g0 = kf.initiate([50, 60, 20, 80]);
  close(g0.cov[0], 4, 'xx = (2*20/20)^2');
  close(g0.cov[9], 64, 'yy = (2*80/20)^2');
  close(g0.cov[2 * 9], 4, 'ww');
  close(g0.cov[6 * 9], (10 * 20 / 160) ** 2, 'vw vw');
  const g1 = kf.predict(g0);
  close(g1.cov[0], 4 + 1.5625 + 1, 'xx + vv + (w/20)^2');
  const g2 = kf.update(g1, [50, 60, 22, 80]);
  const s = g1.cov[2 * 9] + 1; // Pww + (w/20)^2
  close(g2.mean[2], 20 + (2 * g1.cov[2 * 9]) / s, 'w');
  close(g2.mean[6], (2 * g1.cov[2 * 8 + 6]) / s, 'vw');
});

test('processNoise: float32 mode rounds like numpy float32 arrays', () => {
  const q = new KalmanFilterXYAH().processNoise([0, 0, 0.5, 41.3], true);
  const s = Math.fround(Math.fround(1 / 20) * 41.3);
  assert.equal(q[0], Math.fround(s * s));
  assert.equal(q[2], Math.fround(Math.fround(1e-2) ** 2));
  assert.notEqual(q[0], (41.3 / 20) ** 2);
});
