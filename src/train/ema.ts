/**
 * Exponential moving average of the model state (Ultralytics ModelEMA: decay 0.9999, tau 2000):
 * d = decay * (1 - exp(-updates / tau)); ema = d * ema + (1 - d) * model, for every float tensor
 * (parameters and BatchNorm running statistics).
 */
export class Ema {
  updates: number;
  readonly state: Map<string, Float32Array>;

  constructor(model: ReadonlyMap<string, Float32Array>, updates = 0, private readonly decay = 0.9999, private readonly tau = 2000) {
    this.updates = updates;
    this.state = new Map([...model].map(([k, v]) => [k, Float32Array.from(v)]));
  }

  /** Fold the current model into the average. */
  update(model: ReadonlyMap<string, Float32Array>): void {
    this.updates++;
    const d = this.decay * (1 - Math.exp(-this.updates / this.tau));
    for (const [k, e] of this.state) {
      const m = model.get(k);
      if (!m) continue;
      for (let i = 0; i < e.length; i++) e[i] = d * e[i] + (1 - d) * m[i];
    }
  }
}
