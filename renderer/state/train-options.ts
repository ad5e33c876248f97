/** The Train tab's hyperparameter fields (pure: the train store and the run request read them). */
export interface TrainOptionsDraft {
  optimizer: 'adam' | 'adagrad' | 'sgd';
  learningRate: number;
  batchSize: number;
  epochs: number;
  seed: number;
  validationShare: number;
  earlyStopping: { enabled: boolean; metric: string; patience: number };
  lossWeights: Record<string, number>;
  /**
   * The learning-rate schedule's fields (app/train/lr-schedule.ts); each type sends only its own:
   * cosine its minimum rate, step its every-k-epochs and factor, any type its warm-up steps.
   */
  lrSchedule: { type: 'constant' | 'cosine' | 'step'; warmupSteps: number; minLearningRate: number; everyEpochs: number; factor: number };
  /** Clip the gradients to this global norm; 0 is off. */
  clipNorm: number;
  /** Warm start: the run folder (a runs:list entry's dir) whose weights the run starts from; '' for fresh weights. */
  initFrom: string;
  /** 'node': a Node training process on the host; 'browser': this window's GPU. */
  engine: 'node' | 'browser';
  /** The Node backend (engine 'node'). */
  backend: 'auto' | 'webgpu' | 'node-gpu' | 'node' | 'wasm' | 'cpu';
  /**
   * Training threads on the CPU backends (engine 'node', backend auto, wasm or cpu; app/train/replicas.ts).
   * 1 by default: a second thread pays at large batches, not for small models at batch 512
   * (docs/training-threads.md), and one thread leaves the other cores to this window.
   */
  threads: number;
  /** The window's backend (engine 'browser'): auto is WebGPU where available, else WebGL. */
  browserBackend: 'auto' | 'webgpu' | 'webgl';
}

export const DEFAULT_OPTIONS: TrainOptionsDraft = {
  optimizer: 'adam',
  learningRate: 0.001,
  batchSize: 256,
  epochs: 5,
  seed: 42,
  validationShare: 0.2,
  earlyStopping: { enabled: false, metric: 'loss', patience: 2 },
  lossWeights: {},
  lrSchedule: { type: 'constant', warmupSteps: 0, minLearningRate: 0, everyEpochs: 1, factor: 0.5 },
  clipNorm: 0,
  initFrom: '',
  engine: 'node',
  backend: 'auto',
  threads: 1,
  browserBackend: 'auto',
};
