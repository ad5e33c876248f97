import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { compileGraph } from '../compile/to-tfjs';
import { parseBinding } from '../data/binding';
import { formatDataError, isDataError } from '../data/errors';
import { encodeFile, prepareData } from '../data/prepare';
import { readEventLog, sequenceRows, writeSequenceRows, type SequenceRow } from '../data/sequences';
import type { Graph } from '../graph/schema';
import { readTemplate } from './census';
import { fitAndTest, meanStd, pm } from './fit';
import { errorBarChart, renderSvg } from './plot';
import type { Study, StudyResult } from './study';

/**
 * The DIN template against the same network with the attention replaced by sum pooling over the
 * history (the paper's base model), on MovieLens-100k behaviour sequences.
 */
export function basePoolingGraph(din: Graph): Graph {
  const attention = din.nodes.find((n) => n.kind === 'attention');
  if (!attention) throw new Error('Bug: the DIN template has no attention node');
  const pooling = { ...attention, kind: 'pooling', label: 'History sum pooling', params: { mode: 'sum' } };
  const edges = din.edges.flatMap((e) => {
    if (e.target.node === attention.id) {
      // The query edge goes; the keys edge becomes the pooling input.
      return e.target.port === 'keys' ? [{ ...e, id: `${e.source.node}.${e.source.port}->${attention.id}.in`, target: { node: attention.id, port: 'in' } }] : [];
    }
    return [e];
  });
  return { ...din, name: 'DIN base (sum pooling)', nodes: din.nodes.map((n) => (n.id === attention.id ? pooling : n)), edges };
}

const MAX_HISTORY = 20;
/** Held-out ratings per user: enough that many users have both classes, so GAUC is defined. */
const TEST_LAST = 5;

export function dinStudy(root: string): Study {
  return {
    id: 'din',
    title: 'DIN vs a base model on MovieLens-100k (Zhou et al. 2018)',
    async run({ quick, dataDir, workDir, log }): Promise<StudyResult> {
      const size = quick ? { trainRows: 5000, seeds: 1, epochs: 1 } : { trainRows: Number.POSITIVE_INFINITY, seeds: 3, epochs: 6 };
      const events = await readEventLog(join(dataDir, 'movielens-100k', 'u.data.gz'), {
        header: false,
        columns: ['user', 'item', 'rating', 'timestamp'],
        user: 'user',
        item: 'item',
        timestamp: 'timestamp',
        label: { column: 'rating', atLeast: 4 },
      });
      if (isDataError(events)) throw new Error(formatDataError(events));
      const rows = [...sequenceRows(events, { maxLength: MAX_HISTORY, minHistory: 1, testLast: TEST_LAST })];
      const train = rows.filter((r) => r.split === 'train').slice(-size.trainRows);
      const test = rows.filter((r) => r.split === 'test');
      const files = { train: join(workDir, 'ml-train.csv'), test: join(workDir, 'ml-test.csv') };
      for (const [file, list] of [[files.train, train], [files.test, test]] as [string, SequenceRow[]][]) {
        const error = await writeSequenceRows(list, file);
        if (error) throw new Error(formatDataError(error));
      }
      log(`  ${events.length} ratings → ${train.length} training rows, ${test.length} test rows (each user's last ${TEST_LAST} ratings)`);
      const binding = parseBinding(JSON.parse(await readFile(join(root, 'examples', 'movielens-din.binding.json'), 'utf8')));
      if (isDataError(binding)) throw new Error(formatDataError(binding));

      const din = await readTemplate(root, 'din');
      const results: { model: string; seed: number; auc: number; gauc: number; params: number }[] = [];
      for (const graph of [din, basePoolingGraph(din)]) {
        const compiled = compileGraph(graph);
        if (!compiled.ok) throw new Error(`${graph.name} does not compile: ${compiled.diagnostics[0]?.message}`);
        const prepared = await prepareData(compiled.compiled, binding, { train: files.train }, { validation: 0.1, seed: 7 });
        if (isDataError(prepared)) throw new Error(formatDataError(prepared));
        const testSplit = await encodeFile(compiled.compiled, prepared.encoders, binding, files.test, true);
        if (isDataError(testSplit)) throw new Error(formatDataError(testSplit));
        compiled.compiled.model.dispose();
        if (!prepared.valid) throw new Error('Bug: empty DIN validation split');
        for (let seed = 1; seed <= size.seeds; seed++) {
          const fit = await fitAndTest(graph, { train: prepared.train, valid: prepared.valid, test: testSplit }, {
            optimizer: 'adam',
            learningRate: 0.001,
            batchSize: 256,
            epochs: size.epochs,
            seed,
            earlyStopping: { metric: 'like.auc', patience: 2 },
          });
          const row = { model: graph.name, seed, auc: fit.test.tasks.like?.auc ?? NaN, gauc: fit.test.tasks.like?.gauc ?? NaN, params: fit.parameters };
          results.push(row);
          log(`  ${graph.name} seed ${seed}: test AUC ${row.auc.toFixed(4)}, GAUC ${row.gauc.toFixed(4)} (best epoch ${fit.bestEpoch}/${fit.epochsRun})`);
        }
      }
      const names = [...new Set(results.map((r) => r.model))];
      const of = (name: string) => results.filter((r) => r.model === name);
      const dinAuc = meanStd(of(din.name).map((r) => r.auc)).mean;
      const baseAuc = meanStd(of(names[1] ?? '').map((r) => r.auc)).mean;
      const dinGauc = meanStd(of(din.name).map((r) => r.gauc)).mean;
      const baseGauc = meanStd(of(names[1] ?? '').map((r) => r.gauc)).mean;
      const svg = await renderSvg(
        errorBarChart(
          names.flatMap((name) => [
            { x: 'AUC', series: name, ...meanStd(of(name).map((r) => r.auc)) },
            { x: 'GAUC', series: name, ...meanStd(of(name).map((r) => r.gauc)) },
          ]),
          { title: 'MovieLens-100k test AUC and GAUC', x: 'metric', y: 'test value' },
        ),
      );
      const markdown = [
        `Data: MovieLens-100k ratings; label = rating ≥ 4; each rating becomes a row whose history is the user's earlier rated movies by time (at most ${MAX_HISTORY}, none from the same second or later), candidate = the rated movie. Each user's last ${TEST_LAST} ratings are held out for test (${test.length} rows); ${train.length} training rows, 10 % of them (seeded) for validation. Item ids share one vocabulary and one embedding table between candidate and history.`,
        `Training: Adam, learning rate 0.001, batch 256, up to ${size.epochs} epochs, early stopping on validation AUC (patience 2), model seeds 1–${size.seeds}. GAUC is per user, impression-weighted, over users with both classes in the test rows.`,
        '',
        '| model | test AUC | test GAUC | parameters |',
        '|---|---|---|---|',
        ...names.map((name) => `| ${name} | ${pm(of(name).map((r) => r.auc))} | ${pm(of(name).map((r) => r.gauc))} | ${of(name)[0]?.params ?? ''} |`),
        '',
        '![DIN vs base](img/din.svg)',
        '',
        `The paper's finding (DIN above the base model): AUC ${dinAuc > baseAuc ? '**reproduced**' : '**not reproduced**'} (${dinAuc.toFixed(4)} vs ${baseAuc.toFixed(4)}), GAUC ${dinGauc > baseGauc ? '**reproduced**' : '**not reproduced**'} (${dinGauc.toFixed(4)} vs ${baseGauc.toFixed(4)}).`,
      ].join('\n');
      return { markdown, figures: [{ file: 'din.svg', svg }], table: results };
    },
  };
}
