import { z } from 'zod';
import { LeyoloError } from '../errors.js';

/**
 * Training options: typed defaults (Ultralytics 8.1.4 default.yaml names where they exist),
 * validated once with zod; never evaluated as code.
 */
export const TrainConfigSchema = z.object({
  epochs: z.number().int().min(1).default(100),
  imgsz: z.number().int().min(32).multipleOf(32).default(640),
  batch: z.number().int().min(1).max(1024).default(16),
  /** Nominal batch: gradients accumulate to it. */
  nbs: z.number().int().min(1).default(64),
  optimizer: z.enum(['auto', 'SGD', 'AdamW']).default('auto'),
  lr0: z.number().positive().default(0.01),
  lrf: z.number().positive().default(0.01),
  momentum: z.number().min(0).max(1).default(0.937),
  weightDecay: z.number().min(0).default(0.0005),
  warmupEpochs: z.number().min(0).default(3),
  warmupMomentum: z.number().min(0).max(1).default(0.8),
  warmupBiasLr: z.number().min(0).default(0.1),
  closeMosaic: z.number().int().min(0).default(10),
  mosaic: z.number().min(0).max(1).default(1),
  fliplr: z.number().min(0).max(1).default(0.5),
  hsvH: z.number().min(0).default(0.015),
  hsvS: z.number().min(0).default(0.7),
  hsvV: z.number().min(0).default(0.4),
  translate: z.number().min(0).default(0.1),
  scale: z.number().min(0).default(0.5),
  patience: z.number().int().min(0).default(100),
  seed: z.number().int().min(0).default(0),
  /** Data-loading worker threads (0 = main thread). */
  workers: z.number().int().min(0).max(16).default(2),
  /** Validate every epoch (on the val split). */
  val: z.boolean().default(true),
  /** Fraction of val images used for per-epoch validation (1 = all). */
  valFraction: z.number().min(0).max(1).default(1),
  threads: z.number().int().min(1).optional(),
});

export type TrainConfig = z.infer<typeof TrainConfigSchema>;

/**
 * Validate user options once; errors name the option and the allowed range.
 *
 * @example
 * const cfg = resolveTrainConfig({ epochs: 10, imgsz: 320, batch: 8 });
 */
export function resolveTrainConfig(input: Partial<TrainConfig>): TrainConfig {
  const r = TrainConfigSchema.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new LeyoloError('BAD_ARGUMENT', `training option ${i.path.join('.')}: ${i.message}`, 'see TrainConfig for the allowed values (the same options as `leyolo train --help`)');
  }
  return r.data;
}
