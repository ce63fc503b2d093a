/**
 * Complete-IoU (CIoU) of two xyxy boxes and its gradient with respect to the first box,
 * following Ultralytics 8.1 `bbox_iou(box1, box2, xywh=False, CIoU=True, eps=1e-7)`:
 *   w = x2 - x1, h = y2 - y1 + eps (eps on the height only), union = w1 h1 + w2 h2 - inter + eps,
 *   ciou = iou - (rho2 / c2 + v * alpha), c2 = cw^2 + ch^2 + eps,
 *   v = 4/pi^2 (atan(w2/h2) - atan(w1/h1))^2, alpha = v / (v - iou + 1 + eps).
 * Ultralytics computes `alpha` under `torch.no_grad()`, so the gradient treats it as a constant; and
 * `minimum`/`maximum` split the gradient in half on ties, `clamp_(0)` passes it where x >= 0 (autograd rules).
 * Everything runs in float64.
 */

/** Default epsilon of Ultralytics' bbox_iou. */
export const CIOU_EPS = 1e-7;

const FOUR_OVER_PI2 = 4 / (Math.PI * Math.PI);

/** Result of {@link ciouForward}: the CIoU value and the (detached) alpha it used. */
export interface CiouValue {
  ciou: number;
  iou: number;
  alpha: number;
}

/**
 * CIoU of box `a` (at offset `ao` of `A`) and box `b` (at offset `bo` of `B`), both xyxy.
 * Symmetric in its two boxes (as the official formula is), so the assigner's `bbox_iou(gt, pred)` and the
 * loss's `bbox_iou(pred, gt)` share it.
 *
 * @example
 * const { ciou } = ciouForward(new Float64Array([0, 0, 2, 2]), 0, new Float64Array([1, 1, 3, 3]), 0);
 */
export function ciouForward(
  A: ArrayLike<number>,
  ao: number,
  B: ArrayLike<number>,
  bo: number,
  eps = CIOU_EPS,
): CiouValue {
  const ax1 = A[ao], ay1 = A[ao + 1], ax2 = A[ao + 2], ay2 = A[ao + 3];
  const bx1 = B[bo], by1 = B[bo + 1], bx2 = B[bo + 2], by2 = B[bo + 3];
  const w1 = ax2 - ax1, h1 = ay2 - ay1 + eps;
  const w2 = bx2 - bx1, h2 = by2 - by1 + eps;
  const iw = Math.max(Math.min(ax2, bx2) - Math.max(ax1, bx1), 0);
  const ih = Math.max(Math.min(ay2, by2) - Math.max(ay1, by1), 0);
  const inter = iw * ih;
  const union = w1 * h1 + w2 * h2 - inter + eps;
  const iou = inter / union;
  const cw = Math.max(ax2, bx2) - Math.min(ax1, bx1);
  const ch = Math.max(ay2, by2) - Math.min(ay1, by1);
  const c2 = cw * cw + ch * ch + eps;
  const dx = bx1 + bx2 - ax1 - ax2, dy = by1 + by2 - ay1 - ay2;
  const rho2 = (dx * dx + dy * dy) / 4;
  const da = Math.atan(w2 / h2) - Math.atan(w1 / h1);
  const v = FOUR_OVER_PI2 * da * da;
  const alpha = v / (v - iou + (1 + eps));
  return { ciou: iou - (rho2 / c2 + v * alpha), iou, alpha };
}

/** d max(p, q)/dp under autograd's tie rule (half the gradient to each side on a tie). */
function dMax(p: number, q: number): number {
  return p > q ? 1 : p === q ? 0.5 : 0;
}
/** d min(p, q)/dp under autograd's tie rule. */
function dMin(p: number, q: number): number {
  return p < q ? 1 : p === q ? 0.5 : 0;
}

/**
 * Gradient of CIoU(pred, target) with respect to the 4 pred coordinates (x1, y1, x2, y2), added into
 * `g[go..go+3]` scaled by `scale`, with `alpha` held constant (it is computed under no_grad upstream).
 * `alpha` defaults to the value the forward pass computes; tests pass a frozen one.
 * Returns the CIoU value and the alpha used.
 *
 * @example
 * const g = new Float64Array(4);
 * ciouBackward(new Float64Array([0, 0, 2, 2]), 0, new Float64Array([1, 1, 3, 3]), 0, 1, g, 0);
 */
export function ciouBackward(
  P: ArrayLike<number>,
  po: number,
  T: ArrayLike<number>,
  to: number,
  scale: number,
  g: Float64Array,
  go: number,
  alphaOverride?: number,
  eps = CIOU_EPS,
): CiouValue {
  const x1 = P[po], y1 = P[po + 1], x2 = P[po + 2], y2 = P[po + 3];
  const X1 = T[to], Y1 = T[to + 1], X2 = T[to + 2], Y2 = T[to + 3];
  const w1 = x2 - x1, h1 = y2 - y1 + eps;
  const w2 = X2 - X1, h2 = Y2 - Y1 + eps;
  const iwRaw = Math.min(x2, X2) - Math.max(x1, X1);
  const ihRaw = Math.min(y2, Y2) - Math.max(y1, Y1);
  const iw = Math.max(iwRaw, 0), ih = Math.max(ihRaw, 0);
  const inter = iw * ih;
  const union = w1 * h1 + w2 * h2 - inter + eps;
  const iou = inter / union;
  const cw = Math.max(x2, X2) - Math.min(x1, X1);
  const ch = Math.max(y2, Y2) - Math.min(y1, Y1);
  const c2 = cw * cw + ch * ch + eps;
  const dx = X1 + X2 - x1 - x2, dy = Y1 + Y2 - y1 - y2;
  const rho2 = (dx * dx + dy * dy) / 4;
  const da = Math.atan(w2 / h2) - Math.atan(w1 / h1);
  const v = FOUR_OVER_PI2 * da * da;
  const alpha = alphaOverride ?? v / (v - iou + (1 + eps));
  const ciou = iou - (rho2 / c2 + v * alpha);

  // iou = inter / union, union = w1 h1 + const - inter  =>  d iou = (1 + iou)/union d inter - iou/union d(w1 h1)
  const dIouDInter = (1 + iou) / union;
  const dIouDArea = -iou / union;
  // inter = relu(iw) relu(ih); clamp_min passes the gradient where the input is >= 0
  const gw = iwRaw >= 0 ? ih : 0;
  const gh = ihRaw >= 0 ? iw : 0;
  const dInter = [-gw * dMax(x1, X1), -gh * dMax(y1, Y1), gw * dMin(x2, X2), gh * dMin(y2, Y2)];
  const dArea = [-h1, -w1, h1, w1];
  // D = rho2 / c2
  const dRho = [-dx / 2, -dy / 2, -dx / 2, -dy / 2];
  const dC2 = [-2 * cw * dMin(x1, X1), -2 * ch * dMin(y1, Y1), 2 * cw * dMax(x2, X2), 2 * ch * dMax(y2, Y2)];
  // v = k (atan(w2/h2) - atan(w1/h1))^2: dv/dw1 = -2k da h1/(w1^2+h1^2), dv/dh1 = +2k da w1/(w1^2+h1^2)
  const q = (2 * FOUR_OVER_PI2 * da) / (w1 * w1 + h1 * h1);
  const dvdw = -q * h1, dvdh = q * w1;
  const dV = [-dvdw, -dvdh, dvdw, dvdh];
  for (let k = 0; k < 4; k++) {
    const dIou = dIouDInter * dInter[k] + dIouDArea * dArea[k];
    const dD = dRho[k] / c2 - (rho2 / (c2 * c2)) * dC2[k];
    g[go + k] += scale * (dIou - dD - alpha * dV[k]);
  }
  return { ciou, iou, alpha };
}
