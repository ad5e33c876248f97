/**
 * How long validateGraph takes on big graphs. Run: npx tsx bench/validate.bench.ts
 *
 * The graphs are many parallel multi-task branches, 10 nodes each:
 *   sparse → embedding ┐
 *   dense ─────────────┴→ concat → mlp → mlp → expert(×2) → gate → tower → output
 * (the gate's selector is the concat), so every node kind on the common path is exercised and
 * every branch has its own columns, tables and labels — the graph is valid, with no warnings.
 */
import { GraphBuilder } from '../app/graph/builder';
import type { Graph } from '../app/graph/schema';
import { formatDiagnostic } from '../app/validate/diagnostics';
import { validateGraph } from '../app/validate/validate';

const NODES_PER_BRANCH = 10;

function branchyGraph(nodes: number): Graph {
  if (nodes % NODES_PER_BRANCH !== 0) throw new Error(`node count must be a multiple of ${NODES_PER_BRANCH}`);
  const b = new GraphBuilder(`Bench ${nodes}`);
  for (let i = 0; i < nodes / NODES_PER_BRANCH; i++) {
    const id = (s: string) => `${s}_${i}`;
    b.node(id('sparse'), 'input.sparse', `Sparse ${i}`, { columns: [`user_${i}`, `item_${i}`], vocabSize: 100 });
    b.node(id('dense'), 'input.dense', `Dense ${i}`, { columns: [`age_${i}`, `price_${i}`, `hour_${i}`] });
    b.node(id('emb'), 'embedding', `Embedding ${i}`, { dim: 8 });
    b.node(id('feat'), 'concat', `Features ${i}`);
    b.node(id('mlp1'), 'mlp', `Bottom ${i}`, { units: [64, 32] });
    b.node(id('mlp2'), 'mlp', `Middle ${i}`, { units: [32] });
    b.node(id('experts'), 'expert', `Experts ${i}`, { count: 2, units: [16] });
    b.node(id('gate'), 'gate', `Gate ${i}`);
    b.node(id('tower'), 'tower', `Tower ${i}`, { units: [8] });
    b.node(id('out'), 'output', `Task ${i}`, { name: `task_${i}`, label: `label_${i}` });
    b.connect(id('sparse'), 'ids', id('emb'), 'ids');
    b.connect(id('emb'), 'vectors', id('feat'), 'inputs');
    b.connect(id('dense'), 'values', id('feat'), 'inputs');
    b.connect(id('feat'), 'out', id('mlp1'), 'in');
    b.connect(id('mlp1'), 'out', id('mlp2'), 'in');
    b.connect(id('mlp2'), 'out', id('experts'), 'in');
    b.connect(id('feat'), 'out', id('gate'), 'selector');
    b.connect(id('experts'), 'out', id('gate'), 'experts');
    b.connect(id('gate'), 'out', id('tower'), 'in');
    b.connect(id('tower'), 'out', id('out'), 'prediction');
  }
  return b.build(false);
}

function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? NaN;
}

function bench(nodes: number, warmup: number, repetitions: number): void {
  const graph = branchyGraph(nodes);
  const check = validateGraph(graph);
  if (check.diagnostics.length > 0 || check.order.length !== nodes) {
    for (const d of check.diagnostics.slice(0, 10)) console.error(formatDiagnostic(d));
    throw new Error(`the ${nodes}-node bench graph does not validate cleanly (${check.diagnostics.length} diagnostics)`);
  }
  for (let i = 0; i < warmup; i++) validateGraph(graph);
  const times: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const start = performance.now();
    validateGraph(graph);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const fmt = (ms: number) => ms.toFixed(2).padStart(8);
  console.log(
    `validateGraph ${String(nodes).padStart(5)} nodes, ${String(graph.edges.length).padStart(5)} edges: ` +
      `median ${fmt(percentile(times, 50))} ms  p95 ${fmt(percentile(times, 95))} ms  ` +
      `min ${fmt(times[0] ?? NaN)} ms  (${repetitions} runs after ${warmup} warm-up)`,
  );
}

bench(1_000, 20, 200);
bench(5_000, 10, 60);
