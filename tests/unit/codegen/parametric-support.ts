import { GraphBuilder } from '../../../app/graph/builder';
import type { Graph } from '../../../app/graph/schema';

/**
 * A DIN-style graph with the paper's parametric activations on every path that takes them: DIN
 * attention with Dice and with PReLU (softmax), a bottom MLP with Dice after batch norm (and dropout
 * unless `dropout` is 0), a tower with PReLU and one with Dice and L2. Two labelled outputs.
 */
export function parametricGraph(options: { dropout?: number } = {}): Graph {
  const b = new GraphBuilder('Parametric activations', 'PReLU and Dice in attention, MLP and towers.');
  b.node('item', 'input.sparse', 'Candidate item', { columns: ['item_id'], vocabSize: 40 });
  b.node('history', 'input.sequence', 'History', { column: 'hist_item_id', maxLength: 5, vocabSize: 40 });
  b.node('numbers', 'input.dense', 'Numbers', { columns: ['age', 'income'] });
  b.node('item_emb', 'embedding', 'Item embedding', { dim: 4, table: 'item' });
  b.node('history_emb', 'embedding', 'History embedding', { dim: 4, table: 'item' });
  b.node('att_dice', 'attention', 'Interest dice', { hidden: [6, 3], activation: 'dice' });
  b.node('att_prelu', 'attention', 'Interest prelu', { hidden: [5], activation: 'prelu', softmax: true });
  b.node('features', 'concat', 'Features');
  b.node('bottom', 'mlp', 'Bottom', { units: [8, 6], activation: 'dice', batchNorm: true, dropout: options.dropout ?? 0.1 });
  b.node('tower_a', 'tower', 'Tower a', { units: [4], activation: 'prelu' });
  b.node('tower_b', 'tower', 'Tower b', { units: [3, 2], activation: 'dice', l2: 0.01 });
  b.node('out_a', 'output', 'Click', { name: 'click', label: 'clicked' });
  b.node('out_b', 'output', 'Buy', { name: 'buy', label: 'bought' });
  b.connect('item', 'ids', 'item_emb', 'ids').connect('history', 'ids', 'history_emb', 'ids');
  for (const att of ['att_dice', 'att_prelu']) b.connect('item_emb', 'vectors', att, 'query').connect('history_emb', 'vectors', att, 'keys');
  for (const [n, p] of [['item_emb', 'vectors'], ['att_dice', 'out'], ['att_prelu', 'out'], ['numbers', 'values']] as const) b.connect(n, p, 'features', 'inputs');
  b.connect('features', 'out', 'bottom', 'in').connect('bottom', 'out', 'tower_a', 'in').connect('bottom', 'out', 'tower_b', 'in');
  b.connect('tower_a', 'out', 'out_a', 'prediction').connect('tower_b', 'out', 'out_b', 'prediction');
  return b.build();
}
