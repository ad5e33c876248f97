/**
 * The learning-rate schedule: the rate of each optimizer step, as a pure function of the step, so
 * the training loop, the TypeScript export and the PyTorch export's train.py (the same formulas,
 * README "Training") give the same rate at the same step.
 *
 * - warm-up (any type, W > 0): for t < W, rate = lr · (t + 1) / W;
 * - constant: lr after warm-up (with W = 0, exactly today's fixed rate);
 * - cosine: for t ≥ W, m + ½ (lr − m)(1 + cos(π (t − W) / max(1, T − W))), m the minimum rate;
 * - step: for t ≥ W, lr · g^floor(e / k), e the 0-based epoch of step t.
 * t is the global step counted from 0 across epochs; T the run's steps (epochs × steps per epoch).
 */
export const LR_SCHEDULE_TYPES = ['constant', 'cosine', 'step'] as const;
export type LrScheduleType = (typeof LR_SCHEDULE_TYPES)[number];

export type LrSchedule =
  | { type: 'constant'; warmupSteps?: number }
  | { type: 'cosine'; warmupSteps?: number; minLearningRate?: number }
  | { type: 'step'; warmupSteps?: number; everyEpochs?: number; factor?: number };

export const CONSTANT_SCHEDULE: LrSchedule = { type: 'constant' };

/** The defaults of the spec: W 0, m 0, k 1, g 0.5. */
export const SCHEDULE_DEFAULTS = { warmupSteps: 0, minLearningRate: 0, everyEpochs: 1, factor: 0.5 } as const;

/** Where in the run a step is. */
export interface StepPosition {
  /** Global optimizer step, from 0. */
  step: number;
  stepsPerEpoch: number;
  /** Steps of the whole run (epochs × steps per epoch). */
  totalSteps: number;
}

/** The learning rate of step `at.step` for base rate `learningRate`. */
export function learningRateAt(schedule: LrSchedule | undefined, learningRate: number, at: StepPosition): number {
  if (!schedule) return learningRate;
  const warmup = schedule.warmupSteps ?? SCHEDULE_DEFAULTS.warmupSteps;
  const t = at.step;
  if (warmup > 0 && t < warmup) return (learningRate * (t + 1)) / warmup;
  switch (schedule.type) {
    case 'constant':
      return learningRate;
    case 'cosine': {
      const min = schedule.minLearningRate ?? SCHEDULE_DEFAULTS.minLearningRate;
      const progress = (t - warmup) / Math.max(1, at.totalSteps - warmup);
      return min + 0.5 * (learningRate - min) * (1 + Math.cos(Math.PI * progress));
    }
    case 'step': {
      const every = schedule.everyEpochs ?? SCHEDULE_DEFAULTS.everyEpochs;
      const factor = schedule.factor ?? SCHEDULE_DEFAULTS.factor;
      const epoch = Math.floor(t / Math.max(1, at.stepsPerEpoch));
      return learningRate * factor ** Math.floor(epoch / every);
    }
  }
}

/** True when the schedule never changes the rate (so the loop leaves the optimizer's rate alone). */
export const isConstantRate = (schedule: LrSchedule | undefined): boolean =>
  schedule === undefined || (schedule.type === 'constant' && (schedule.warmupSteps ?? 0) === 0);

/** The schedule with every default written out: what summary.json records. */
export function fullSchedule(schedule: LrSchedule | undefined): LrSchedule {
  const warmupSteps = schedule?.warmupSteps ?? SCHEDULE_DEFAULTS.warmupSteps;
  switch (schedule?.type ?? 'constant') {
    case 'constant':
      return warmupSteps > 0 ? { type: 'constant', warmupSteps } : { type: 'constant' };
    case 'cosine':
      return { type: 'cosine', warmupSteps, minLearningRate: (schedule as { minLearningRate?: number }).minLearningRate ?? SCHEDULE_DEFAULTS.minLearningRate };
    case 'step': {
      const step = schedule as { everyEpochs?: number; factor?: number };
      return { type: 'step', warmupSteps, everyEpochs: step.everyEpochs ?? SCHEDULE_DEFAULTS.everyEpochs, factor: step.factor ?? SCHEDULE_DEFAULTS.factor };
    }
  }
}

/** "cosine, warm-up 10 steps, down to 0.0001": for the log and the runs comparison. */
export function describeSchedule(schedule: LrSchedule | undefined): string {
  const full = fullSchedule(schedule);
  const warmup = full.warmupSteps ? `, warm-up ${full.warmupSteps} step${full.warmupSteps === 1 ? '' : 's'}` : '';
  switch (full.type) {
    case 'constant':
      return `constant${warmup}`;
    case 'cosine':
      return `cosine${warmup}, down to ${full.minLearningRate}`;
    case 'step':
      return `step${warmup}, × ${full.factor} every ${full.everyEpochs} epoch${full.everyEpochs === 1 ? '' : 's'}`;
  }
}
