import { readFileSync } from 'node:fs';
import { parseBinding, type DatasetBinding } from '../../../app/data/binding';
import { isDataError } from '../../../app/data/errors';
import { loadGraph } from '../../../app/graph/load';
import type { Graph } from '../../../app/graph/schema';

/** The DIN example with item and genre histories joined by concat, its binding, and a few rows for it. */
export function dinGenresGraph(): Graph {
  const loaded = loadGraph(readFileSync('examples/movielens-din-genres.graph.json', 'utf8'));
  if (!loaded.graph) throw new Error('test bug: the example graph does not load');
  return loaded.graph;
}

export function dinGenresBinding(): DatasetBinding {
  const binding = parseBinding(JSON.parse(readFileSync('examples/movielens-din-genres.binding.json', 'utf8')));
  if (isDataError(binding)) throw new Error(binding.message);
  return binding;
}

export const HEADER = 'user,candidate,candidate_genres,history,history_genres,label';
/** Items 10, 20, 30, 40 with genres Comedy, Drama, War, Romance; item 99999 never appears in training. */
export const TRAIN_ROWS = [
  'u1,10,Comedy,20|30,Drama|War,1',
  'u1,40,Romance,10|20,Comedy|Drama,0',
  'u2,30,War,40|10,Romance|Comedy,1',
  'u2,20,Drama,30|40,War|Romance,0',
];

