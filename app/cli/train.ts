import { parseBinding, type DatasetBinding } from '../data/binding';
import { formatDataError, isDataError } from '../data/errors';
import { NODE_BACKENDS, releaseBackend } from '../engine/backend';
import { readTextFile } from '../io/files';
import { openGraphFile } from './graph-file';
import { formatDiagnostic, hasErrors } from '../validate/diagnostics';
import { runTraining } from '../train/run';
import { largeBatchHint } from '../train/batch-hint';
import { DEFAULT_TRAIN_OPTIONS, OPTIMIZERS, type TrainOptions } from '../train/session';
import { LR_SCHEDULE_TYPES, type LrSchedule } from '../train/lr-schedule';
import { resolveRun } from '../train/run-meta';
import { choiceOption, intOption, numberOption, parseCommandArgs, weightsOption } from './args';
import { EXIT, UsageError, type CliIO, type Command } from './io';
import { formatSeconds, progressPrinter } from './progress';
import { dataFileProblem, layoutHint } from './data-file';

export const trainCommand: Command = {
  name: 'train',
  usage: `train <graph.json> --data <file> [--valid <file>] [--binding <b.json>] [options]
                                        Train a graph on a CSV/TSV file (gzip or not) and save a run folder.
      --epochs N (5)  --batch-size N (256)  --lr X (0.001)  --optimizer adam|adagrad|sgd  --seed N (42)
      --validation X (0.2: share held out when there is no --valid file)  --loss-weights task=w,...
      --early-stopping METRIC (loss, <task>.auc, mean.auc, …)  --patience N (2)
      --best-metric METRIC: the metric that picks the best epoch (kept weights) without stopping early
      --lr-schedule constant|cosine|step (constant)  --warmup-steps W (0: rate lr·(t+1)/W for steps t < W)
      --min-lr m (cosine: the rate it ends at, 0)  --lr-step-every k (step: epochs, 1)  --lr-step-factor g (step: 0.5)
      --clip-norm X: clip the gradients to global norm X (as torch's clip_grad_norm_)
      --init-from RUN: start from a run's weights (run folder, name or prefix in --runs) where name and shape match
      --backend ${NODE_BACKENDS.join('|')} (default: fastest available)  --runs DIR (runs)
      --threads N (1): training threads on the CPU backends: each computes a shard of every batch; a seed and N give the same weights
      --no-cache: read the file even when .towerflow-cache (beside --runs) has it encoded
      --stream / --no-stream: train from encoded blocks on disk, for files larger than memory (default: files from 1 GiB)`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        valid: { type: 'string' },
        binding: { type: 'string' },
        epochs: { type: 'string' },
        'batch-size': { type: 'string' },
        lr: { type: 'string' },
        optimizer: { type: 'string' },
        seed: { type: 'string' },
        validation: { type: 'string' },
        'loss-weights': { type: 'string' },
        'early-stopping': { type: 'string' },
        patience: { type: 'string' },
        'best-metric': { type: 'string' },
        'lr-schedule': { type: 'string' },
        'warmup-steps': { type: 'string' },
        'min-lr': { type: 'string' },
        'lr-step-every': { type: 'string' },
        'lr-step-factor': { type: 'string' },
        'clip-norm': { type: 'string' },
        'init-from': { type: 'string' },
        backend: { type: 'string' },
        threads: { type: 'string' },
        runs: { type: 'string', default: 'runs' },
        'no-cache': { type: 'boolean' },
        stream: { type: 'boolean' },
        'no-stream': { type: 'boolean' },
      },
    });
    const [graphFile, ...extra] = positionals;
    if (graphFile === undefined || extra.length > 0) throw new UsageError('expected exactly one graph file');
    if (values.data === undefined) throw new UsageError('--data <file> is required');
    const lossWeights = weightsOption('loss-weights', values['loss-weights']);
    const options: TrainOptions = {
      optimizer: choiceOption('optimizer', values.optimizer, OPTIMIZERS, DEFAULT_TRAIN_OPTIONS.optimizer),
      learningRate: numberOption('lr', values.lr, DEFAULT_TRAIN_OPTIONS.learningRate, 1e-8, 10),
      batchSize: intOption('batch-size', values['batch-size'], DEFAULT_TRAIN_OPTIONS.batchSize, 1, 1 << 20),
      epochs: intOption('epochs', values.epochs, DEFAULT_TRAIN_OPTIONS.epochs, 1, 100_000),
      seed: intOption('seed', values.seed, DEFAULT_TRAIN_OPTIONS.seed, 0, 2 ** 31 - 1),
      ...(lossWeights ? { lossWeights } : {}),
      ...(values['early-stopping'] ? { earlyStopping: { metric: values['early-stopping'], patience: intOption('patience', values.patience, 2, 1, 1000) } } : {}),
      ...(values['best-metric'] ? { bestMetric: values['best-metric'] } : {}),
      ...trainControls(values),
    };
    if (values['init-from'] !== undefined) {
      const from = await resolveRun(values.runs, values['init-from']);
      if ('error' in from) {
        io.err(`--init-from: ${from.error}`);
        return EXIT.badInput;
      }
      options.initFrom = from.dir;
    }
    const hint = largeBatchHint(options.batchSize, options.learningRate, options.optimizer);
    if (hint) io.out(`hint: ${hint} (--lr)`);
    const validationShare = numberOption('validation', values.validation, 0.2, 0, 0.9);
    const backend = values.backend === undefined ? undefined : choiceOption('backend', values.backend, NODE_BACKENDS, 'cpu');
    // One by default: a scripted run shares the machine with whatever else the script starts.
    const threads = intOption('threads', values.threads, 1, 1, 64);

    const graph = await readGraph(graphFile, io);
    if (typeof graph === 'number') return graph;
    const binding = await readBinding(values.binding, io);
    if (typeof binding === 'number') return binding;
    // A mistyped path is said before the engine is chosen and its lines printed.
    const unreadable = (await dataFileProblem(values.data)) ?? (values.valid ? await dataFileProblem(values.valid) : undefined);
    if (unreadable !== undefined) {
      io.err(unreadable);
      return EXIT.badInput;
    }

    const controller = new AbortController();
    const onSigint = () => {
      io.err('\nstopping (after this batch when training; at once when reading the data). Press Ctrl+C again to quit at once…');
      controller.abort();
      process.once('SIGINT', () => process.exit(130));
    };
    process.once('SIGINT', onSigint);
    const printProgress = progressPrinter(io, (text) => process.stdout.write(text));
    try {
      const outcome = await runTraining(
        { graph, data: values.data, ...(values.valid ? { valid: values.valid } : {}), binding, options, validationShare, runsDir: values.runs, threads, ...(backend ? { backend } : {}), ...(values['no-cache'] ? { cache: false as const } : {}), ...streamOption(values.stream, values['no-stream']) },
        {
          signal: controller.signal,
          onEvent: (event) => {
            if (event.type === 'stage') io.out(event.message);
            else if (event.type === 'started') io.out(`run ${event.dir}: ${event.parameters} parameters, ${event.trainRows} training rows, ${event.validRows} validation rows, backend ${event.backend}`);
            else printProgress(event);
          },
        },
      );
      if (!outcome.ok && outcome.cancelled) {
        io.err(outcome.message);
        // 128 + SIGINT, as a shell reports a command stopped by Ctrl+C.
        return 130;
      }
      if (!outcome.ok) {
        io.err(`${outcome.dir ? `${outcome.dir}: ` : ''}${outcome.message}`);
        const hint = values.binding === undefined ? await layoutHint(values.data) : undefined;
        if (hint !== undefined) io.err(hint);
        return EXIT.badInput;
      }
      const s = outcome.summary;
      io.out(`${s.stopReason}: ${s.message}. Best epoch ${s.bestEpoch}; ${Math.round(s.samplesPerSecond)} samples/s on ${s.backend}; ${formatSeconds((Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000)} in all.`);
      io.out(`saved ${s.dir}`);
      return EXIT.ok;
    } finally {
      process.removeListener('SIGINT', onSigint);
      // A WebGPU device keeps Node running after the last line otherwise.
      releaseBackend();
    }
  },
};

async function readGraph(file: string, io: CliIO) {
  const opened = await openGraphFile(file, io);
  if (typeof opened === 'number') return opened;
  if (!opened.graph || hasErrors(opened.diagnostics)) {
    for (const d of opened.diagnostics.filter((x) => x.severity === 'error')) io.err(formatDiagnostic(d, file));
    return EXIT.badInput;
  }
  return opened.graph;
}

export async function readBinding(file: string | undefined, io: CliIO): Promise<DatasetBinding | number> {
  if (file === undefined) {
    const empty = parseBinding({});
    return isDataError(empty) ? EXIT.badInput : empty;
  }
  const text = await readTextFile(file);
  if (typeof text !== 'string') {
    io.err(`${file}: ${text.message}`);
    return EXIT.badInput;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    io.err(`${file}: cannot read the binding (${(error as Error).message})`);
    return EXIT.badInput;
  }
  const binding = parseBinding(json, file);
  if (isDataError(binding)) {
    io.err(formatDataError(binding));
    return EXIT.badInput;
  }
  return binding;
}

type ControlFlags = Partial<Record<'lr-schedule' | 'warmup-steps' | 'min-lr' | 'lr-step-every' | 'lr-step-factor' | 'clip-norm', string>>;

/**
 * The schedule and clipping flags as TrainOptions (the spec's names: README "Training"). A flag of
 * another schedule type is refused rather than ignored, so `--min-lr` without `--lr-schedule
 * cosine` does not silently train at a constant rate.
 */
export function trainControls(flags: ControlFlags): Pick<TrainOptions, 'lrSchedule' | 'clipNorm'> {
  const type = choiceOption('lr-schedule', flags['lr-schedule'], LR_SCHEDULE_TYPES, 'constant');
  const owner = { 'min-lr': 'cosine', 'lr-step-every': 'step', 'lr-step-factor': 'step' } as const;
  for (const [flag, wanted] of Object.entries(owner)) {
    if (flags[flag as keyof typeof owner] !== undefined && type !== wanted) throw new UsageError(`--${flag} applies to --lr-schedule ${wanted}, not ${type}`);
  }
  const warmupSteps = intOption('warmup-steps', flags['warmup-steps'], 0, 0, 1e9);
  const warmup = warmupSteps > 0 ? { warmupSteps } : {};
  let lrSchedule: LrSchedule | undefined;
  if (type === 'cosine') lrSchedule = { type, ...warmup, minLearningRate: numberOption('min-lr', flags['min-lr'], 0, 0, 10) };
  else if (type === 'step') {
    lrSchedule = { type, ...warmup, everyEpochs: intOption('lr-step-every', flags['lr-step-every'], 1, 1, 100_000), factor: numberOption('lr-step-factor', flags['lr-step-factor'], 0.5, 0, 10) };
  } else if (warmupSteps > 0) lrSchedule = { type, warmupSteps };
  const clip = flags['clip-norm'];
  const clipNorm = clip === undefined ? undefined : Number(clip);
  if (clipNorm !== undefined && !(Number.isFinite(clipNorm) && clipNorm > 0)) throw new UsageError(`--clip-norm must be a positive number, got "${clip}"`);
  return { ...(lrSchedule ? { lrSchedule } : {}), ...(clipNorm !== undefined ? { clipNorm } : {}) };
}

/** --stream / --no-stream: absent, run-stream.ts decides by the file's size. */
function streamOption(stream: boolean | undefined, noStream: boolean | undefined): { stream?: boolean } {
  if (stream && noStream) throw new UsageError('--stream and --no-stream contradict each other; give one');
  if (stream) return { stream: true };
  return noStream ? { stream: false } : {};
}
