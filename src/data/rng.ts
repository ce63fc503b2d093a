/**
 * Small seedable PRNG (mulberry32: 32-bit state, period 2^32) so augmentation runs are reproducible:
 * the same seed and call order give the same samples. Not cryptographic.
 *
 * @example
 * const rng = new Rng(0);
 * rng.uniform(0.5, 1.5); // same value every run
 */
export class Rng {
  private state: number;

  constructor(seed = 0) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  random(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [a, b). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.random();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** Independent child stream (e.g. one per worker or per sample), derived from this one. */
  fork(): Rng {
    return new Rng(Math.floor(this.random() * 4294967296) ^ 0x9e3779b9);
  }
}
