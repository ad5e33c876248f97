import { join } from 'node:path';
import { compileGraph } from '../compile/to-tfjs';
import { parseBinding } from '../data/binding';
import { formatDataError, isDataError } from '../data/errors';
import { encodeFile, prepareData } from '../data/prepare';
import { readEventLog, readItemFeatures, sequenceRows, writeSequenceRows, type SequenceRow } from '../data/sequences';
import { GraphBuilder } from '../graph/builder';
import type { Graph } from '../graph/schema';
import { groupAucs } from '../train/metrics';
import { readTemplate } from './census';
import { fitAndTest, pmSe } from './fit';
import { intervalChart, meanSeRow, renderSvg } from './plot';
import { describePaired, judge, outcomeText, pairedComparison, summarize } from './stats';
import type { Study, StudyResult } from './study';

/**
 * DIN (Zhou et al. 2018) against its base model (the same network with the history sum-pooled) on
 * MovieLens-100k, set up as in the paper as far as the data allows: a behaviour is its item and the
 * item's category (here the movie's genres), each looked up in a table the candidate shares; the
 * activation unit scores [q, k, q − k, q ⊙ k] through one 36-unit layer with PReLU; the MLP is
 * 200–80 with Dice. What differs from the paper: Adam instead of SGD with decay, and MovieLens's
 * ratings (≥ 4 = positive) instead of Taobao's clicks.
 */

/** MovieLens-100k's u.item columns: id | title | release | video release | IMDb URL | 19 genre flags (u.genre's order). */
const GENRES = ['unknown', 'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy', 'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western'];
const ITEM_COLUMNS = ['movie', 'title', 'release', 'video_release', 'url', ...GENRES];

const MAX_HISTORY = 20;
/** Held-out ratings per user: enough that most users have both classes, so their AUC is defined. */
const TEST_LAST = 5;
const EMBEDDING = 8;

export const DIN_PAPER = { attentionHidden: [36], attentionActivation: 'prelu', mlp: [200, 80], mlpActivation: 'dice' } as const;

/** The paper's DIN on MovieLens: user, candidate (item ⊕ genres) and the history of (item ⊕ genres) behaviours. */
export function dinPaperGraph(vocab: { users: number; items: number; genres: number }): Graph {
  const b = new GraphBuilder('DIN (paper setting)', 'DIN with item and category behaviours, a PReLU activation unit and a Dice MLP (Zhou et al. 2018).');
  b.node('user', 'input.sparse', 'User', { columns: ['user_id'], vocabSize: vocab.users });
  b.node('candidate', 'input.sparse', 'Candidate item', { columns: ['item_id'], vocabSize: vocab.items });
  b.node('candidate_genres', 'input.sparse', 'Candidate genres', { columns: ['genres'], vocabSize: vocab.genres });
  b.node('history', 'input.sequence', 'Watched items', { column: 'hist_item_id', maxLength: MAX_HISTORY, vocabSize: vocab.items });
  b.node('history_genres', 'input.sequence', 'Watched genres', { column: 'hist_genres', maxLength: MAX_HISTORY, vocabSize: vocab.genres });
  b.node('user_emb', 'embedding', 'User embedding', { dim: EMBEDDING });
  b.node('candidate_emb', 'embedding', 'Item embedding', { dim: EMBEDDING, table: 'item' });
  b.node('candidate_genres_emb', 'embedding', 'Genre embedding', { dim: EMBEDDING, table: 'genre' });
  b.node('history_emb', 'embedding', 'History item embeddings', { dim: EMBEDDING, table: 'item' });
  b.node('history_genres_emb', 'embedding', 'History genre embeddings', { dim: EMBEDDING, table: 'genre' });
  b.node('query', 'concat', 'Candidate (item ⊕ genres)');
  b.node('behaviours', 'concat', 'Behaviours (item ⊕ genres)');
  b.node('attention', 'attention', 'Activation unit', { hidden: [...DIN_PAPER.attentionHidden], activation: DIN_PAPER.attentionActivation, softmax: false });
  b.node('features', 'concat', 'Features');
  b.node('tower', 'tower', 'MLP', { units: [...DIN_PAPER.mlp], activation: DIN_PAPER.mlpActivation, head: 'sigmoid' });
  b.node('out', 'output', 'like', { name: 'like', label: 'label', loss: 'binary_crossentropy' });
  for (const [input, emb] of [['user', 'user_emb'], ['candidate', 'candidate_emb'], ['candidate_genres', 'candidate_genres_emb'], ['history', 'history_emb'], ['history_genres', 'history_genres_emb']]) {
    b.connect(input as string, 'ids', emb as string, 'ids');
  }
  b.connect('candidate_emb', 'vectors', 'query', 'inputs').connect('candidate_genres_emb', 'vectors', 'query', 'inputs');
  b.connect('history_emb', 'vectors', 'behaviours', 'inputs').connect('history_genres_emb', 'vectors', 'behaviours', 'inputs');
  b.connect('query', 'out', 'attention', 'query').connect('behaviours', 'out', 'attention', 'keys');
  b.connect('user_emb', 'vectors', 'features', 'inputs').connect('query', 'out', 'features', 'inputs').connect('attention', 'out', 'features', 'inputs');
  b.connect('features', 'out', 'tower', 'in').connect('tower', 'out', 'out', 'prediction');
  return b.build();
}

/** The paper's base model: the same network, the history sum-pooled instead of attended to. */
export function basePoolingGraph(din: Graph): Graph {
  const attention = din.nodes.find((n) => n.kind === 'attention');
  if (!attention) throw new Error('Bug: the DIN graph has no attention node');
  const pooling = { ...attention, kind: 'pooling', label: 'History sum pooling', params: { mode: 'sum' } };
  const edges = din.edges.flatMap((e) => {
    if (e.target.node === attention.id) {
      // The query edge goes; the keys edge becomes the pooling input.
      return e.target.port === 'keys' ? [{ ...e, id: `${e.source.node}.${e.source.port}->${attention.id}.in`, target: { node: attention.id, port: 'in' } }] : [];
    }
    return [e];
  });
  return { ...din, name: 'Base model (sum pooling)', nodes: din.nodes.map((n) => (n.id === attention.id ? pooling : n)), edges };
}

export const DIN_MOVIELENS_BINDING = {
  header: true,
  features: {
    user_id: { column: 'user' },
    item_id: { column: 'candidate' },
    genres: { column: 'candidate_genres' },
    hist_item_id: { column: 'history', separator: '|' },
    hist_genres: { column: 'history_genres', separator: '|' },
  },
  labels: { like: { column: 'label' } },
  group: 'user',
};

export function dinStudy(root: string): Study {
  return {
    id: 'din',
    title: 'DIN vs a base model on MovieLens-100k (Zhou et al. 2018)',
    async run({ quick, dataDir, workDir, log }): Promise<StudyResult> {
      const size = quick ? { trainRows: 5000, seeds: 2, epochs: 1, patience: 1 } : { trainRows: Number.POSITIVE_INFINITY, seeds: 5, epochs: 12, patience: 2 };
      const movielens = join(dataDir, 'movielens-100k');
      const events = await readEventLog(join(movielens, 'u.data.gz'), {
        header: false,
        columns: ['user', 'item', 'rating', 'timestamp'],
        user: 'user',
        item: 'item',
        timestamp: 'timestamp',
        label: { column: 'rating', atLeast: 4 },
      });
      if (isDataError(events)) throw new Error(formatDataError(events));
      const items = await readItemFeatures(join(movielens, 'u.item.gz'), {
        header: false,
        columns: ITEM_COLUMNS,
        separator: '|',
        encoding: 'latin1',
        key: 'movie',
        features: { genres: { flags: GENRES } },
      });
      if (isDataError(items)) throw new Error(formatDataError(items));
      const rows = [...sequenceRows(events, { maxLength: MAX_HISTORY, minHistory: 1, testLast: TEST_LAST })];
      const train = rows.filter((r) => r.split === 'train').slice(-size.trainRows);
      const test = rows.filter((r) => r.split === 'test');
      const files = { train: join(workDir, 'ml-train.csv'), test: join(workDir, 'ml-test.csv') };
      for (const [file, list] of [[files.train, train], [files.test, test]] as [string, SequenceRow[]][]) {
        const error = await writeSequenceRows(list, file, items);
        if (error) throw new Error(formatDataError(error));
      }
      const genreSets = new Set([...items.of.values()].map((v) => v.genres)).size;
      const users = new Set(events.map((e) => e.user)).size;
      log(`  ${events.length} ratings → ${train.length} training rows, ${test.length} test rows (each user's last ${TEST_LAST} ratings); ${items.of.size} movies in ${genreSets} genre sets`);
      const binding = parseBinding(DIN_MOVIELENS_BINDING);
      if (isDataError(binding)) throw new Error(formatDataError(binding));

      const din = dinPaperGraph({ users: users + 2, items: items.of.size + 2, genres: genreSets + 2 });
      const shipped = await readTemplate(root, 'din');
      const results: { model: string; seed: number; auc: number; gauc: number; params: number; bestEpoch: number; epochsRun: number }[] = [];
      /** Per model, per seed: each test user's AUC (users with both classes). */
      const perUser = new Map<string, Map<number | string, { auc: number; rows: number }>[]>();
      for (const graph of [din, basePoolingGraph(din)]) {
        const compiled = compileGraph(graph);
        if (!compiled.ok) throw new Error(`${graph.name} does not compile: ${compiled.diagnostics[0]?.message}`);
        const prepared = await prepareData(compiled.compiled, binding, { train: files.train }, { validation: 0.1, seed: 7 });
        if (isDataError(prepared)) throw new Error(formatDataError(prepared));
        const testSplit = await encodeFile(compiled.compiled, prepared.encoders, binding, files.test, true);
        if (isDataError(testSplit)) throw new Error(formatDataError(testSplit));
        compiled.compiled.model.dispose();
        if (!prepared.valid) throw new Error('Bug: empty DIN validation split');
        if (!testSplit.groups) throw new Error('Bug: DIN test rows carry no user groups');
        for (let seed = 1; seed <= size.seeds; seed++) {
          const fit = await fitAndTest(
            graph,
            { train: prepared.train, valid: prepared.valid, test: testSplit },
            { optimizer: 'adam', learningRate: 0.001, batchSize: 256, epochs: size.epochs, seed, earlyStopping: { metric: 'like.auc', patience: size.patience } },
            { predictions: true },
          );
          const row = { model: graph.name, seed, auc: fit.test.tasks.like?.auc ?? NaN, gauc: fit.test.tasks.like?.gauc ?? NaN, params: fit.parameters, bestEpoch: fit.bestEpoch, epochsRun: fit.epochsRun };
          results.push(row);
          const labels = testSplit.labels.like;
          const scores = fit.predictions?.like;
          if (!labels || !scores) throw new Error('Bug: DIN test labels or predictions missing');
          perUser.set(graph.name, [...(perUser.get(graph.name) ?? []), groupAucs(labels, scores, testSplit.groups)]);
          log(`  ${graph.name} seed ${seed}: test AUC ${row.auc.toFixed(4)}, GAUC ${row.gauc.toFixed(4)} (best epoch ${fit.bestEpoch}/${fit.epochsRun})`);
        }
      }
      const [dinName, baseName] = [din.name, basePoolingGraph(din).name];
      const of = (name: string) => results.filter((r) => r.model === name).sort((a, b) => a.seed - b.seed);
      const gaucPaired = pairedComparison(of(dinName).map((r) => r.gauc), of(baseName).map((r) => r.gauc));
      const aucPaired = pairedComparison(of(dinName).map((r) => r.auc), of(baseName).map((r) => r.auc));
      // Per user: each user's AUC averaged over seeds, DIN against base, over the users scored by both.
      const userMean = (name: string) => {
        const sums = new Map<number | string, { total: number; count: number; rows: number }>();
        for (const seedMap of perUser.get(name) ?? []) {
          for (const [user, { auc, rows }] of seedMap) {
            const entry = sums.get(user) ?? { total: 0, count: 0, rows };
            entry.total += auc;
            entry.count += 1;
            sums.set(user, entry);
          }
        }
        return sums;
      };
      const dinUsers = userMean(dinName);
      const baseUsers = userMean(baseName);
      const shared = [...dinUsers.keys()].filter((u) => baseUsers.has(u) && dinUsers.get(u)?.count === size.seeds && baseUsers.get(u)?.count === size.seeds);
      const userPaired = pairedComparison(
        shared.map((u) => (dinUsers.get(u)?.total ?? 0) / size.seeds),
        shared.map((u) => (baseUsers.get(u)?.total ?? 0) / size.seeds),
      );
      const gaucSe = (name: string) => {
        // GAUC's standard error over users, one seed: the impressions-weighted spread of users' AUCs.
        const seedMap = perUser.get(name)?.[0];
        if (!seedMap) return NaN;
        const entries = [...seedMap.values()];
        const weight = entries.reduce((a, e) => a + e.rows, 0);
        const mean = entries.reduce((a, e) => a + e.rows * e.auc, 0) / weight;
        return Math.sqrt(entries.reduce((a, e) => a + (e.rows / weight) ** 2 * (e.auc - mean) ** 2, 0));
      };
      const svg = await renderSvg(
        intervalChart(
          [dinName, baseName].flatMap((name) => [meanSeRow('AUC', name, summarize(of(name).map((r) => r.auc))), meanSeRow('GAUC', name, summarize(of(name).map((r) => r.gauc)))]),
          { title: `MovieLens-100k test AUC and GAUC (mean ± SE over ${size.seeds} seeds)`, x: 'metric', y: 'test value' },
        ),
      );
      const diffSvg = await renderSvg(
        intervalChart(
          [
            { label: 'AUC (per seed)', c: aucPaired },
            { label: 'GAUC (per seed)', c: gaucPaired },
            { label: 'user AUC (per user)', c: userPaired },
          ].map(({ label, c }) => ({ x: label, series: 'DIN − base', mean: c.mean, low: c.ci95[0], high: c.ci95[1] })),
          { title: 'DIN − base, paired (mean and 95 % CI; above 0 = DIN better)', x: 'comparison', y: 'difference' },
          { zeroRule: true },
        ),
      );
      const gaucOutcome = judge(gaucPaired, 'higher');
      const userOutcome = judge(userPaired, 'higher');
      const aucOutcome = judge(aucPaired, 'higher');
      const markdown = [
        `Data: MovieLens-100k ratings; label = rating ≥ 4; each rating becomes a row whose history is the user's earlier rated movies by time (at most ${MAX_HISTORY}, none from the same second or later), candidate = the rated movie. Each user's last ${TEST_LAST} ratings are held out for test (${test.length} rows); ${train.length} training rows, 10 % of them (seeded) for validation.`,
        `Model, as in the paper where the data allows: a behaviour is its item and its category. MovieLens has no single category, so a movie's category is its set of genres from \`u.item\` (${items.of.size} movies fall into ${genreSets} genre sets). Candidate and history share the item table and the genre table (${EMBEDDING} dimensions each), so the query is item ⊕ genres [${2 * EMBEDDING}] and each behaviour [${2 * EMBEDDING}] too. Activation unit: [q, k, q − k, q ⊙ k] → ${DIN_PAPER.attentionHidden.join('–')} ${DIN_PAPER.attentionActivation === 'prelu' ? 'PReLU' : 'Dice'} → 1, no softmax. MLP ${DIN_PAPER.mlp.join('–')} with ${DIN_PAPER.mlpActivation === 'dice' ? 'Dice' : 'PReLU'} → sigmoid. The base model is the same network with the history sum-pooled. (The template as it ships, \`templates/din.json\`, is the DeepCTR-style variant without categories, ${shipped.nodes.length} nodes.)`,
        `Training: Adam, learning rate 0.001, batch 256 (the paper: SGD with decay on Taobao data), up to ${size.epochs} epochs, early stopping on validation AUC (patience ${size.patience}), best epoch kept; seeds 1–${size.seeds}, paired across the two models (same rows, same seed). GAUC is per user, impression-weighted, over users with both classes in their test rows (${shared.length} users).`,
        '',
        '| model | test AUC | test GAUC | GAUC ± SE over users (seed 1) | parameters | best epoch per seed |',
        '|---|---|---|---|---|---|',
        ...[dinName, baseName].map((name) => `| ${name} | ${pmSe(of(name).map((r) => r.auc))} | ${pmSe(of(name).map((r) => r.gauc))} | ${of(name)[0]?.gauc.toFixed(4)} ± ${gaucSe(name).toFixed(4)} | ${of(name)[0]?.params ?? ''} | ${of(name).map((r) => r.bestEpoch).join(', ')} |`),
        '',
        `AUC and GAUC columns: mean ± standard error over ${size.seeds} seeds.`,
        '',
        '![DIN vs base](img/din.svg)',
        '',
        '![DIN vs base, paired](img/din-paired.svg)',
        '',
        'Paired comparisons, DIN − base:',
        `- test GAUC, per seed: ${describePaired(gaucPaired)}.`,
        `- test AUC, per seed: ${describePaired(aucPaired)}.`,
        `- each user's test AUC (mean over the ${size.seeds} seeds), per user: ${describePaired(userPaired)}.`,
        '',
        `The paper's finding (DIN above the base model): on GAUC, its metric, ${outcomeText[gaucOutcome]} by seed and ${outcomeText[userOutcome]} by user; on AUC ${outcomeText[aucOutcome]}.`,
      ].join('\n');
      const findings = [
        { claim: 'DIN above the base model on test GAUC, paired by seed (DIN − base)', outcome: gaucOutcome, evidence: describePaired(gaucPaired) },
        { claim: 'DIN above the base model on each user\'s test AUC, paired by user (DIN − base)', outcome: userOutcome, evidence: describePaired(userPaired) },
        { claim: 'DIN above the base model on test AUC, paired by seed (DIN − base)', outcome: aucOutcome, evidence: describePaired(aucPaired) },
      ];
      return { markdown, findings, figures: [{ file: 'din.svg', svg }, { file: 'din-paired.svg', svg: diffSvg }], table: results };
    },
  };
}
