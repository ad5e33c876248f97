import { GraphBuilder } from '../graph/builder';
import type { Graph } from '../graph/schema';
import { mmoeSynthetic } from '../data/synthetic';
import type { EncodedSplit } from '../train/encoded';
import { fitAndTest, pmSe } from './fit';
import { intervalChart, meanSeRow, renderSvg } from './plot';
import { describePaired, judge, outcomeText, pairedComparison, summarize, type Outcome, type PairedComparison } from './stats';
import type { Finding, Study, StudyResult } from './study';

/**
 * Ma et al. 2018 §3.2 / Fig. 4: two regression tasks whose correlation p is controlled. As in the
 * paper: Shared-Bottom with one shared 113-unit layer, OMoE and MMoE with 8 experts of one 16-unit
 * layer, towers of one 8-unit layer, MSE, Adam. Every (model, p, seed) trains until validation loss
 * stops improving; the learning rate is chosen per model on validation data of a seed that is never
 * scored; and models are compared seed by seed, since a seed draws both the data and the weights.
 */
const MODELS = ['Shared-Bottom', 'OMoE', 'MMoE'] as const;
type ModelName = (typeof MODELS)[number];

const DIM = 100;
/**
 * Data and weights of the learning-rate search; the scored seeds are 1…n. Two of them, since on one
 * seed the best rate moved by ×4 with the luck of a single high-rate run.
 */
const TUNING_SEEDS = [1000, 1001];

/** A data regime: the scale c of the task weights, the correlations run, and those the learning rate is tuned at. */
interface Regime {
  c: number;
  correlations: number[];
  tuneAt: number[];
}

interface Budget {
  train: number;
  valid: number;
  test: number;
  seeds: number;
  maxEpochs: number;
  patience: number;
  batch: number;
  rates: number[];
  regimes: Regime[];
}

const FULL: Budget = {
  train: 10_000,
  valid: 1000,
  test: 2000,
  seeds: 10,
  maxEpochs: 400,
  patience: 20,
  batch: 128,
  rates: [0.001, 0.002, 0.005, 0.01],
  regimes: [
    { c: 0.3, correlations: [1.0, 0.9, 0.7, 0.5, 0.3], tuneAt: [0.5] },
    // c = 1 makes the sinusoids matter (their argument spans ~±2 rad, not ±0.6): a harder, less
    // linear pair of tasks, where task conflict has more room to show.
    { c: 1, correlations: [1.0, 0.5], tuneAt: [0.5] },
  ],
};

const QUICK: Budget = { train: 1000, valid: 200, test: 400, seeds: 2, maxEpochs: 2, patience: 1, batch: 128, rates: [0.002], regimes: [{ c: 0.3, correlations: [1.0, 0.5], tuneAt: [0.5] }] };

export function syntheticGraph(model: ModelName, dim: number): Graph {
  const b = new GraphBuilder(model);
  b.node('x', 'input.dense', 'x', { columns: Array.from({ length: dim }, (_, i) => `x${i}`) });
  const towerInput: Record<string, [string, string]> = {};
  if (model === 'Shared-Bottom') {
    b.node('bottom', 'mlp', 'bottom', { units: [113] });
    b.connect('x', 'values', 'bottom', 'in');
    towerInput.y1 = towerInput.y2 = ['bottom', 'out'];
  } else {
    b.node('experts', 'expert', 'experts', { count: 8, units: [16] });
    b.connect('x', 'values', 'experts', 'in');
    const gates = model === 'OMoE' ? ['gate'] : ['gate_y1', 'gate_y2'];
    for (const g of gates) {
      b.node(g, 'gate', g);
      b.connect('x', 'values', g, 'selector').connect('experts', 'out', g, 'experts');
    }
    towerInput.y1 = [gates[0] as string, 'out'];
    towerInput.y2 = [(gates[1] ?? gates[0]) as string, 'out'];
  }
  for (const task of ['y1', 'y2']) {
    b.node(`tower_${task}`, 'tower', `tower ${task}`, { units: [8], head: 'linear' });
    b.node(task, 'output', task, { name: task, label: task, loss: 'mse' });
    const [node, port] = towerInput[task] as [string, string];
    b.connect(node, port, `tower_${task}`, 'in').connect(`tower_${task}`, 'out', task, 'prediction');
  }
  return b.build();
}

function splitOf(data: ReturnType<typeof mmoeSynthetic>, start: number, end: number): EncodedSplit {
  return {
    rows: end - start,
    inputs: { x: data.x.slice(start * data.d, end * data.d) },
    labels: { y1: data.y1.slice(start, end), y2: data.y2.slice(start, end) },
  };
}

function dataset(budget: Budget, c: number, p: number, seed: number) {
  const { train, valid, test } = budget;
  const data = mmoeSynthetic({ n: train + valid + test, p, seed, d: DIM, c });
  return { train: splitOf(data, 0, train), valid: splitOf(data, train, train + valid), test: splitOf(data, train + valid, train + valid + test) };
}

/** One trained model: test and training MSE (mean of the two tasks) at the kept epoch, and how training ended. */
export interface SyntheticRun {
  c: number;
  p: number;
  model: ModelName;
  seed: number;
  learningRate: number;
  testMse: number;
  trainMse: number;
  validLoss: number;
  bestEpoch: number;
  epochsRun: number;
  /** Stopped by the epoch cap rather than by early stopping. */
  capped: boolean;
  params: number;
}

async function fit(budget: Budget, model: ModelName, splits: ReturnType<typeof dataset>, seed: number, learningRate: number) {
  const fitted = await fitAndTest(syntheticGraph(model, DIM), splits, {
    optimizer: 'adam',
    learningRate,
    batchSize: budget.batch,
    epochs: budget.maxEpochs,
    seed,
    earlyStopping: { metric: 'loss', patience: budget.patience },
  });
  const mean2 = (m: { tasks: Record<string, { loss: number; mse?: number }> } | undefined, key: 'loss' | 'mse') =>
    (((m?.tasks.y1?.[key] ?? Number.NaN) as number) + ((m?.tasks.y2?.[key] ?? Number.NaN) as number)) / 2;
  return {
    testMse: mean2(fitted.test, 'mse'),
    trainMse: mean2(fitted.train, 'loss'),
    validLoss: fitted.valid?.loss ?? Number.NaN,
    bestEpoch: fitted.bestEpoch,
    epochsRun: fitted.epochsRun,
    capped: fitted.stopReason === 'completed',
    params: fitted.parameters,
  };
}

/**
 * Per model, the rate with the lowest mean best-validation loss over the tuning correlations (tuning
 * seeds only). A best rate at either end of the grid is not yet a choice, so the grid grows past that
 * end (×2 or ÷2) until the best lies inside it, at most MAX_EXTENSIONS times per model.
 */
const MAX_EXTENSIONS = 3;

async function tuneRates(budget: Budget, regime: Regime, log: (line: string) => void) {
  const trials: { c: number; model: ModelName; learningRate: number; p: number; seed: number; validLoss: number; bestEpoch: number }[] = [];
  const splits = regime.tuneAt.flatMap((p) => TUNING_SEEDS.map((seed) => ({ p, seed, data: dataset(budget, regime.c, p, seed) })));
  const meanLoss = (model: ModelName, rate: number) => summarize(trials.filter((t) => t.model === model && t.learningRate === rate).map((t) => t.validLoss)).mean;
  const tried = (model: ModelName) => [...new Set(trials.filter((t) => t.model === model).map((t) => t.learningRate))].sort((a, b) => a - b);
  const tryRate = async (model: ModelName, learningRate: number) => {
    for (const { p, seed, data } of splits) {
      const run = await fit(budget, model, data, seed, learningRate);
      trials.push({ c: regime.c, model, learningRate, p, seed, validLoss: run.validLoss, bestEpoch: run.bestEpoch });
      log(`  tuning c=${regime.c} p=${p} seed=${seed} ${model} lr=${learningRate}: validation loss ${run.validLoss.toFixed(4)} (best epoch ${run.bestEpoch}/${run.epochsRun})`);
    }
  };
  const chosen = {} as Record<ModelName, number>;
  for (const model of MODELS) {
    for (const rate of budget.rates) await tryRate(model, rate);
    for (let extension = 0; ; extension++) {
      const rates = tried(model);
      const best = rates.reduce((a, b) => (meanLoss(model, b) < meanLoss(model, a) ? b : a));
      chosen[model] = best;
      const atEdge = rates.length > 1 && (best === rates[0] || best === rates.at(-1));
      if (!atEdge || extension >= MAX_EXTENSIONS) break;
      await tryRate(model, best === rates[0] ? best / 2 : best * 2);
    }
  }
  return { trials, chosen, meanLoss, tried };
}

const f4 = (x: number) => x.toFixed(4);

export const mmoeSyntheticStudy: Study = {
  id: 'mmoe-synthetic',
  title: 'MMoE paper, synthetic data (Ma et al. 2018, §3.2, Fig. 4)',
  async run({ quick, log }): Promise<StudyResult> {
    const budget = quick ? QUICK : FULL;
    const runs: SyntheticRun[] = [];
    const tuning: Awaited<ReturnType<typeof tuneRates>>['trials'] = [];
    const sections: string[] = [];
    const figures: StudyResult['figures'] = [];
    const findings: Finding[] = [];
    for (const [index, regime] of budget.regimes.entries()) {
      const tuned = await tuneRates(budget, regime, log);
      tuning.push(...tuned.trials);
      for (const p of regime.correlations) {
        for (let seed = 1; seed <= budget.seeds; seed++) {
          const splits = dataset(budget, regime.c, p, seed);
          for (const model of MODELS) {
            const run = await fit(budget, model, splits, seed, tuned.chosen[model]);
            runs.push({ c: regime.c, p, model, seed, learningRate: tuned.chosen[model], ...run });
            log(`  c=${regime.c} p=${p} seed=${seed} ${model}: test MSE ${f4(run.testMse)} (best epoch ${run.bestEpoch}/${run.epochsRun}${run.capped ? ', hit the cap' : ''})`);
          }
        }
      }
      const report = await regimeReport(budget, regime, runs.filter((r) => r.c === regime.c), tuned, index === 0);
      sections.push(report.markdown);
      figures.push(...report.figures);
      findings.push(...report.findings);
    }
    const all = runs.length;
    const notLast = runs.filter((r) => r.bestEpoch < r.epochsRun).length;
    const capped = runs.filter((r) => r.capped);
    const header = [
      `Data: \`towerflow synth mmoe\` (d = ${DIM}, m = 5 sinusoids, noise variance 0.01), ${budget.train} train / ${budget.valid} validation / ${budget.test} test rows per (c, p, seed); seeds 1–${budget.seeds}. A seed draws the data and the initial weights, so the three models of one seed see the same rows: each comparison below is paired by seed.`,
      `Training: Adam, batch ${budget.batch}, up to ${budget.maxEpochs} epochs, early stopping on validation loss with patience ${budget.patience}, the best epoch's weights kept. Learning rate per model from {${budget.rates.join(', ')}} (the grid grows past an end that wins, ×2 or ÷2, up to ${MAX_EXTENSIONS} times), chosen by the lowest mean validation loss on seeds ${TUNING_SEEDS.join(' and ')} (never scored) at the tuning correlation given with each data regime. Nothing is chosen on test rows.`,
      `Convergence: the best epoch came before the last one in ${notLast} of ${all} runs (${((100 * notLast) / Math.max(1, all)).toFixed(0)} %); ${capped.length} run${capped.length === 1 ? '' : 's'} stopped at the ${budget.maxEpochs}-epoch cap${capped.length ? ` (${listCapped(capped)})` : ''}.`,
    ].join('\n');
    return { markdown: [header, ...sections].join('\n\n'), figures, findings, table: [...runs, ...tuning.map((t) => ({ tuning: true, ...t }))] };
  },
};

async function regimeReport(
  budget: Budget,
  regime: Regime,
  runs: SyntheticRun[],
  tuned: Awaited<ReturnType<typeof tuneRates>>,
  primary: boolean,
): Promise<{ markdown: string; figures: StudyResult['figures']; findings: Finding[] }> {
  const { correlations, c } = regime;
  const values = (p: number, model: ModelName, key: 'testMse' | 'trainMse' = 'testMse') =>
    runs.filter((r) => r.p === p && r.model === model).sort((a, b) => a.seed - b.seed).map((r) => r[key]);
  const paired = (p: number, a: ModelName, b: ModelName) => pairedComparison(values(p, a), values(p, b));
  const low = Math.min(...correlations);
  const high = Math.max(...correlations);
  const mid = correlations.includes(0.5) ? 0.5 : low;
  const degradation = (model: ModelName) => values(low, model).map((v, i) => v - (values(high, model)[i] as number));

  const findings: { claim: string; comparison: PairedComparison; outcome: Outcome }[] = [];
  const add = (claim: string, comparison: PairedComparison, direction: 'lower' | 'higher') => findings.push({ claim, comparison, outcome: judge(comparison, direction) });
  for (const model of MODELS) add(`${model}'s test MSE rises from p = ${high} to p = ${low} (paired difference p = ${low} − p = ${high})`, pairedComparison(values(low, model), values(high, model)), 'higher');
  add(`MMoE beats Shared-Bottom at p = ${mid} (MMoE − Shared-Bottom)`, paired(mid, 'MMoE', 'Shared-Bottom'), 'lower');
  add(`OMoE beats Shared-Bottom at p = ${mid} (OMoE − Shared-Bottom)`, paired(mid, 'OMoE', 'Shared-Bottom'), 'lower');
  add(`MMoE beats OMoE at p = ${low} (MMoE − OMoE)`, paired(low, 'MMoE', 'OMoE'), 'lower');
  add(`MMoE degrades less than Shared-Bottom from p = ${high} to p = ${low} (MMoE's rise − Shared-Bottom's)`, pairedComparison(degradation('MMoE'), degradation('Shared-Bottom')), 'lower');
  add(`MMoE degrades less than OMoE from p = ${high} to p = ${low} (MMoE's rise − OMoE's)`, pairedComparison(degradation('MMoE'), degradation('OMoE')), 'lower');

  const slug = `mmoe-synthetic${primary ? '' : `-c${c}`}`;
  const chart = await renderSvg(
    intervalChart(
      correlations.flatMap((p) => MODELS.map((m) => meanSeRow(`p = ${p}`, m, summarize(values(p, m))))),
      { title: `Test MSE by task correlation (c = ${c}; mean ± SE over ${budget.seeds} seeds)`, x: 'task correlation', y: 'test MSE (mean of the two tasks)' },
    ),
  );
  const pairs: [ModelName, ModelName][] = [['MMoE', 'Shared-Bottom'], ['OMoE', 'Shared-Bottom'], ['MMoE', 'OMoE']];
  const diffChart = await renderSvg(
    intervalChart(
      correlations.flatMap((p) =>
        pairs.map(([a, b]) => {
          const d = paired(p, a, b);
          return { x: `p = ${p}`, series: `${a} − ${b}`, mean: d.mean, low: d.ci95[0], high: d.ci95[1] };
        }),
      ),
      { title: `Paired differences in test MSE (c = ${c}; mean and 95 % CI over seeds; below 0 = first model better)`, x: 'task correlation', y: 'difference in test MSE' },
      { zeroRule: true },
    ),
  );
  const rates = MODELS.map((m) => `${m} ${tuned.chosen[m]}`).join(', ');
  const tuningTable = [
    `| learning rate | ${MODELS.join(' | ')} |`,
    `|---|${MODELS.map(() => '---').join('|')}|`,
    ...[...new Set(MODELS.flatMap((m) => tuned.tried(m)))]
      .sort((a, b) => a - b)
      .map((rate) => `| ${rate} | ${MODELS.map((m) => (!tuned.tried(m).includes(rate) ? '—' : rate === tuned.chosen[m] ? `**${f4(tuned.meanLoss(m, rate))}**` : f4(tuned.meanLoss(m, rate)))).join(' | ')} |`),
  ];
  const markdown = [
    `### c = ${c}${primary ? ' (the data of the earlier rounds)' : ' (harder, less linear tasks)'}`,
    '',
    `Learning rates chosen on validation: ${rates}. Mean best validation loss (sum of the two tasks) on the tuning seeds at p ∈ {${regime.tuneAt.join(', ')}}:`,
    '',
    ...tuningTable,
    '',
    `| p | ${MODELS.join(' | ')} | best epoch (median) |`,
    `|---|${MODELS.map(() => '---').join('|')}|---|`,
    ...correlations.map((p) => `| ${p.toFixed(1)} | ${MODELS.map((m) => pmSe(values(p, m))).join(' | ')} | ${MODELS.map((m) => median(runs.filter((r) => r.p === p && r.model === m).map((r) => r.bestEpoch))).join(' / ')} |`),
    '',
    `Test MSE (mean of the two tasks), mean ± standard error over ${budget.seeds} seeds. Training MSE at the kept epoch, for comparison (the fit, rather than generalisation):`,
    '',
    `| p | ${MODELS.join(' | ')} |`,
    `|---|${MODELS.map(() => '---').join('|')}|`,
    ...correlations.map((p) => `| ${p.toFixed(1)} | ${MODELS.map((m) => pmSe(values(p, m, 'trainMse'))).join(' | ')} |`),
    '',
    `![Test MSE by correlation, c = ${c}](img/${slug}.svg)`,
    '',
    `![Paired differences, c = ${c}](img/${slug}-paired.svg)`,
    '',
    `Paired differences per seed (mean ± SE, 95 % CI, t test and sign test over ${budget.seeds} seeds). The paper's findings, checked on them:`,
    '',
    ...findings.map((f) => `- ${f.claim}: ${describePaired(f.comparison)} → ${outcomeText[f.outcome]}.`),
  ].join('\n');
  return {
    markdown,
    figures: [{ file: `${slug}.svg`, svg: chart }, { file: `${slug}-paired.svg`, svg: diffChart }],
    findings: findings.map((f) => ({ claim: `c = ${c}: ${f.claim}`, outcome: f.outcome, evidence: describePaired(f.comparison) })),
  };
}

/** The capped runs by name when few, else counted per (c, p, model). */
function listCapped(capped: SyntheticRun[]): string {
  if (capped.length <= 12) return capped.map((r) => `c=${r.c} p=${r.p} seed ${r.seed} ${r.model}`).join('; ');
  const counts = new Map<string, number>();
  for (const r of capped) counts.set(`c=${r.c} p=${r.p} ${r.model}`, (counts.get(`c=${r.c} p=${r.p} ${r.model}`) ?? 0) + 1);
  return [...counts].map(([key, n]) => `${key}: ${n}`).join('; ');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : Math.round(((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2);
}
