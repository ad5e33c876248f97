import { GraphBuilder } from '../app/graph/builder';
import type { Graph } from '../app/graph/schema';

/**
 * The template gallery, written as code so each architecture reads like its paper's figure.
 * `npm run templates` writes them to templates/*.json; a test keeps the two in step.
 */

// Census-income (KDD) columns, as named in ../shared/data/census-income-kdd/SOURCE.md.
// marital_stat and income_50k are the two labels, so neither is an input.
export const CENSUS_CATEGORICAL = [
  'class_worker', 'det_ind_code', 'det_occ_code', 'education', 'hs_college', 'major_ind_code', 'major_occ_code',
  'race', 'hisp_origin', 'sex', 'union_member', 'unemp_reason', 'full_or_part_emp', 'tax_filer_stat',
  'region_prev_res', 'state_prev_res', 'det_hh_fam_stat', 'det_hh_summ', 'mig_chg_msa', 'mig_chg_reg',
  'mig_move_reg', 'mig_same', 'mig_prev_sunbelt', 'fam_under_18', 'country_father', 'country_mother',
  'country_self', 'citizenship', 'own_or_self', 'vet_question', 'vet_benefits', 'year',
];
export const CENSUS_NUMERIC = ['age', 'wage_per_hour', 'capital_gains', 'capital_losses', 'stock_dividends', 'num_emp', 'weeks_worked'];
/** Ids per column in the benchmarks' synthetic census data (bench/census-data.ts); the templates size each column from the data. */
export const CENSUS_VOCAB = 64;
export const CENSUS_EMBEDDING_DIM = 4;

const TASKS = [
  { id: 'income', label: 'Income > 50K', column: 'income_50k' },
  { id: 'marital', label: 'Never married', column: 'marital_stat' },
] as const;

/** Categorical + numeric census features joined into one vector; returns the concat node id. */
function censusFeatures(b: GraphBuilder): string {
  b.node('categorical', 'input.sparse', 'Categorical features', { columns: CENSUS_CATEGORICAL, vocabSize: 'auto' });
  b.node('numeric', 'input.dense', 'Numeric features', { columns: CENSUS_NUMERIC });
  b.node('embeddings', 'embedding', 'Embeddings', { dim: CENSUS_EMBEDDING_DIM });
  b.node('features', 'concat', 'Features');
  b.connect('categorical', 'ids', 'embeddings', 'ids');
  b.connect('embeddings', 'vectors', 'features', 'inputs');
  b.connect('numeric', 'values', 'features', 'inputs');
  return 'features';
}

/** A tower and an output per census task; `into(task)` gives the node and port feeding the tower. */
function censusTowers(b: GraphBuilder, into: (task: string) => [string, string]): void {
  for (const task of TASKS) {
    b.node(`${task.id}_tower`, 'tower', `${task.label} tower`, { units: [8], head: 'sigmoid' });
    b.node(`${task.id}_out`, 'output', task.label, { name: task.id, label: task.column, loss: 'binary_crossentropy' });
    const [node, port] = into(task.id);
    b.connect(node, port, `${task.id}_tower`, 'in');
    b.connect(`${task.id}_tower`, 'out', `${task.id}_out`, 'prediction');
  }
}

export function sharedBottom(): Graph {
  const b = new GraphBuilder('Shared-Bottom', 'One shared MLP under a tower per task: the multi-task baseline (Caruana 1997).');
  const features = censusFeatures(b);
  b.node('bottom', 'mlp', 'Shared bottom', { units: [64], activation: 'relu' });
  b.connect(features, 'out', 'bottom', 'in');
  censusTowers(b, () => ['bottom', 'out']);
  return b.build();
}

export function omoe(): Graph {
  const b = new GraphBuilder('OMoE', 'One-gate mixture of experts: a single softmax gate mixes shared experts for all tasks.');
  const features = censusFeatures(b);
  b.node('experts', 'expert', 'Experts', { count: 8, units: [16] });
  b.node('gate', 'gate', 'Gate');
  b.connect(features, 'out', 'experts', 'in');
  b.connect(features, 'out', 'gate', 'selector');
  b.connect('experts', 'out', 'gate', 'experts');
  censusTowers(b, () => ['gate', 'out']);
  return b.build();
}

export function mmoe(): Graph {
  const b = new GraphBuilder('MMoE', 'Multi-gate mixture of experts (Ma et al. 2018): one softmax gate per task over shared experts.');
  const features = censusFeatures(b);
  b.node('experts', 'expert', 'Experts', { count: 8, units: [16] });
  b.connect(features, 'out', 'experts', 'in');
  for (const task of TASKS) {
    b.node(`${task.id}_gate`, 'gate', `${task.label} gate`);
    b.connect(features, 'out', `${task.id}_gate`, 'selector');
    b.connect('experts', 'out', `${task.id}_gate`, 'experts');
  }
  censusTowers(b, (task) => [`${task}_gate`, 'out']);
  return b.build();
}

/**
 * One CGC extraction level: experts per task and shared experts; each task gate mixes its own
 * experts and the shared ones; with `sharedGate`, a gate over all experts feeds the next level.
 * `inputOf(task | 'shared')` names what each group of experts and its gate read.
 */
function extractionLevel(b: GraphBuilder, level: number, inputOf: (group: string) => [string, string], sharedGate: boolean): void {
  const suffix = `_l${level}`;
  const title = (s: string) => `${s} (level ${level})`;
  for (const group of [...TASKS.map((t) => t.id), 'shared']) {
    const label = group === 'shared' ? 'Shared experts' : `${TASKS.find((t) => t.id === group)?.label} experts`;
    b.node(`${group}_experts${suffix}`, 'expert', title(label), { count: 2, units: [16] });
    const [node, port] = inputOf(group);
    b.connect(node, port, `${group}_experts${suffix}`, 'in');
  }
  for (const task of TASKS) {
    const gate = `${task.id}_gate${suffix}`;
    b.node(gate, 'gate', title(`${task.label} gate`));
    const [node, port] = inputOf(task.id);
    b.connect(node, port, gate, 'selector');
    b.connect(`${task.id}_experts${suffix}`, 'out', gate, 'experts');
    b.connect(`shared_experts${suffix}`, 'out', gate, 'experts');
  }
  if (sharedGate) {
    const gate = `shared_gate${suffix}`;
    b.node(gate, 'gate', title('Shared gate'));
    const [node, port] = inputOf('shared');
    b.connect(node, port, gate, 'selector');
    for (const group of [...TASKS.map((t) => t.id), 'shared']) b.connect(`${group}_experts${suffix}`, 'out', gate, 'experts');
  }
}

export function cgc(): Graph {
  const b = new GraphBuilder('CGC', 'Customized gate control (Tang et al. 2020): task-specific plus shared experts; each task gate sees its own and the shared ones.');
  const features = censusFeatures(b);
  extractionLevel(b, 1, () => [features, 'out'], false);
  censusTowers(b, (task) => [`${task}_gate_l1`, 'out']);
  return b.build();
}

export function ple(): Graph {
  const b = new GraphBuilder('PLE', 'Progressive layered extraction (Tang et al. 2020): two stacked CGC levels, with a shared gate feeding the shared experts above.');
  const features = censusFeatures(b);
  extractionLevel(b, 1, () => [features, 'out'], true);
  extractionLevel(b, 2, (group) => [`${group}_gate_l1`, 'out'], false);
  censusTowers(b, (task) => [`${task}_gate_l2`, 'out']);
  return b.build();
}

// Ali-CCP sample columns (../shared/data/ali-ccp-sample/SOURCE.md).
export const ALICCP_USER = ['101', '121', '122', '124', '125', '126', '127', '128', '129', '109_14', '110_14', '127_14', '150_14'];
export const ALICCP_ITEM = ['205', '206', '207', '210', '216', '508', '509', '702', '853', '301'];
export const ALICCP_DENSE = ['D109_14', 'D110_14', 'D127_14', 'D150_14', 'D508', 'D509', 'D702', 'D853'];
export const ALICCP_VOCAB = 1000;
export const ALICCP_EMBEDDING_DIM = 8;

export function esmm(): Graph {
  const b = new GraphBuilder(
    'ESMM',
    'Entire space multi-task model (Ma et al. 2018): pCTCVR = pCTR × pCVR, trained on all impressions with click and click-and-buy labels.',
  );
  b.node('user', 'input.sparse', 'User features', { columns: ALICCP_USER, vocabSize: ALICCP_VOCAB });
  b.node('item', 'input.sparse', 'Item & context features', { columns: ALICCP_ITEM, vocabSize: ALICCP_VOCAB });
  b.node('dense', 'input.dense', 'Dense features', { columns: ALICCP_DENSE });
  b.node('user_emb', 'embedding', 'User embeddings', { dim: ALICCP_EMBEDDING_DIM });
  b.node('item_emb', 'embedding', 'Item embeddings', { dim: ALICCP_EMBEDDING_DIM });
  b.node('features', 'concat', 'Shared features');
  b.connect('user', 'ids', 'user_emb', 'ids');
  b.connect('item', 'ids', 'item_emb', 'ids');
  b.connect('user_emb', 'vectors', 'features', 'inputs');
  b.connect('item_emb', 'vectors', 'features', 'inputs');
  b.connect('dense', 'values', 'features', 'inputs');
  b.node('ctr_tower', 'tower', 'CTR tower', { units: [64, 32], head: 'sigmoid' });
  b.node('cvr_tower', 'tower', 'CVR tower', { units: [64, 32], head: 'sigmoid' });
  b.connect('features', 'out', 'ctr_tower', 'in');
  b.connect('features', 'out', 'cvr_tower', 'in');
  b.node('ctcvr', 'multiply', 'pCTR × pCVR');
  b.connect('ctr_tower', 'out', 'ctcvr', 'inputs');
  b.connect('cvr_tower', 'out', 'ctcvr', 'inputs');
  b.node('ctr_out', 'output', 'pCTR', { name: 'ctr', label: 'click', loss: 'binary_crossentropy' });
  b.node('cvr_out', 'output', 'pCVR', { name: 'cvr', label: '' });
  // In Ali-CCP a purchase is only logged after a click, so `purchase` is the click-and-buy label.
  b.node('ctcvr_out', 'output', 'pCTCVR', { name: 'ctcvr', label: 'purchase', loss: 'binary_crossentropy' });
  b.connect('ctr_tower', 'out', 'ctr_out', 'prediction');
  b.connect('cvr_tower', 'out', 'cvr_out', 'prediction');
  b.connect('ctcvr', 'out', 'ctcvr_out', 'prediction');
  return b.build();
}

// MovieLens-100k as `towerflow sequences` writes it: user_id, item_id (candidate), hist_item_id, label.
export const MOVIELENS_USERS = 1000;
export const MOVIELENS_ITEMS = 1700;
export const DIN_HISTORY = 20;
export const DIN_DIM = 8;

export function din(): Graph {
  const b = new GraphBuilder(
    'DIN',
    'Deep interest network (Zhou et al. 2018): the candidate item attends over the user’s behaviour history; item embeddings are shared.',
  );
  b.node('user', 'input.sparse', 'User', { columns: ['user_id'], vocabSize: MOVIELENS_USERS });
  b.node('candidate', 'input.sparse', 'Candidate item', { columns: ['item_id'], vocabSize: MOVIELENS_ITEMS });
  b.node('history', 'input.sequence', 'Watched items', { column: 'hist_item_id', maxLength: DIN_HISTORY, vocabSize: MOVIELENS_ITEMS });
  b.node('user_emb', 'embedding', 'User embedding', { dim: DIN_DIM });
  b.node('candidate_emb', 'embedding', 'Item embedding', { dim: DIN_DIM, table: 'item' });
  b.node('history_emb', 'embedding', 'History embeddings', { dim: DIN_DIM, table: 'item' });
  b.connect('user', 'ids', 'user_emb', 'ids');
  b.connect('candidate', 'ids', 'candidate_emb', 'ids');
  b.connect('history', 'ids', 'history_emb', 'ids');
  b.node('attention', 'attention', 'Interest attention', { hidden: [80, 40], activation: 'sigmoid', softmax: false });
  b.connect('candidate_emb', 'vectors', 'attention', 'query');
  b.connect('history_emb', 'vectors', 'attention', 'keys');
  b.node('features', 'concat', 'Features');
  b.connect('user_emb', 'vectors', 'features', 'inputs');
  b.connect('candidate_emb', 'vectors', 'features', 'inputs');
  b.connect('attention', 'out', 'features', 'inputs');
  b.node('tower', 'tower', 'Tower', { units: [80, 40], head: 'sigmoid' });
  b.connect('features', 'out', 'tower', 'in');
  b.node('out', 'output', 'Likes (rating ≥ 4)', { name: 'like', label: 'label', loss: 'binary_crossentropy' });
  b.connect('tower', 'out', 'out', 'prediction');
  return b.build();
}

export const TEMPLATES: Record<string, () => Graph> = {
  'shared-bottom': sharedBottom,
  omoe,
  mmoe,
  cgc,
  ple,
  esmm,
  din,
};
