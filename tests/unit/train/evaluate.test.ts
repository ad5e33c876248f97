import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGraph } from '../../../app/graph/load';
import type { Graph } from '../../../app/graph/schema';
import { computeEvaluation, CVR_ON_CLICKS, esmmPlan, evaluationJson, parseEvaluations } from '../../../app/train/evaluate';
import { twoTaskGraph } from './helpers';

/** The metrics of `towerflow evaluate`, on rows small enough to count by hand. */
const f32 = (values: number[]) => Float32Array.from(values);
const BINARY = 'binary_crossentropy' as const;

describe('computeEvaluation on a hand-made file', () => {
  // labels   1    0    1     0    1    0
  // scores  .9   .4   .35   .1   .2   .3
  // groups   a    a    a     b    b    b
  const labels = f32([1, 0, 1, 0, 1, 0]);
  const scores = f32([0.9, 0.4, 0.35, 0.1, 0.2, 0.3]);
  const graph = twoTaskGraph();
  const outputs = [
    { name: 'a', nodeId: 'oa', label: 'la', loss: BINARY },
    { name: 'b', nodeId: 'ob', label: 'lb', loss: BINARY },
  ];

  it('AUC: positive-over-negative pairs (6 of 9); logloss: the mean of -ln p or -ln(1-p)', () => {
    const result = computeEvaluation(graph, outputs, [scores, f32([0.5, 0.5, 0.5, 0.5, 0.5, 0.5])], { a: labels, b: labels }, 6);
    expect(result.rows).toBe(6);
    expect(result.tasks.a?.auc).toBeCloseTo(6 / 9, 6);
    // -(ln .9 + ln .6 + ln .35 + ln .9 + ln .2 + ln .7) / 6
    expect(result.tasks.a?.logloss).toBeCloseTo(3.7374815 / 6, 5);
    expect(result.tasks.a?.gauc).toBeNull();
    // All scores equal: every pair a tie, AUC 1/2; logloss ln 2.
    expect(result.tasks.b).toEqual({ auc: 0.5, logloss: expect.closeTo(Math.LN2, 6) as number, gauc: null });
    expect(result.cvrOnClicks).toBeUndefined();
  });

  it('GAUC: each group AUC weighted by its rows (a: 1 of 2 pairs, b: 1 of 2), null when no group has both classes', () => {
    const result = computeEvaluation(graph, outputs.slice(0, 1), [scores], { a: labels }, 6, Int32Array.from([0, 0, 0, 1, 1, 1]));
    expect(result.tasks.a?.gauc).toBeCloseTo(0.5, 6);
    const oneClassGroups = computeEvaluation(graph, outputs.slice(0, 1), [scores], { a: labels }, 6, Int32Array.from([0, 1, 0, 1, 0, 1]));
    expect(oneClassGroups.tasks.a?.gauc).toBeNull();
  });

  it('one class only: AUC null (not NaN), logloss still a number; outputs without labels are not tasks', () => {
    const result = computeEvaluation(graph, [{ name: 'a', nodeId: 'oa', label: 'la', loss: BINARY }, { name: 'x', nodeId: 'ox', loss: BINARY }], [scores, scores], { a: f32([1, 1, 1, 1, 1, 1]) }, 6);
    expect(result.tasks.a?.auc).toBeNull();
    expect(result.tasks.a?.logloss).toBeGreaterThan(0);
    expect(Object.keys(result.tasks)).toEqual(['a']);
    expect(JSON.stringify(evaluationJson(result))).toBe(`{"tasks":{"a":{"auc":null,"logloss":${result.tasks.a?.logloss},"gauc":null}},"rows":6}`);
  });

  it('regression outputs report MSE', () => {
    const result = computeEvaluation(graph, [{ name: 'a', nodeId: 'oa', label: 'la', loss: 'mse' as const }], [f32([1, 2])], { a: f32([0, 4]) }, 2);
    expect(result.tasks.a).toEqual({ auc: null, logloss: null, gauc: null, mse: 2.5 });
  });
});

describe('ESMM: CVR AUC on clicked rows', () => {
  const esmm = loadGraph(readFileSync(path.join(process.cwd(), 'templates/esmm.json'), 'utf8')).graph as Graph;
  const outputs = [
    { name: 'ctr', nodeId: 'ctr_out', label: 'click', loss: BINARY },
    { name: 'cvr', nodeId: 'cvr_out', loss: BINARY },
    { name: 'ctcvr', nodeId: 'ctcvr_out', label: 'purchase', loss: BINARY },
  ];
  // row       0    1    2    3    4    5
  // click     1    1    1    0    0    1
  // purchase  1    0    0    0    0    1
  // pCVR     .8   .3   .5   .9   .1   .4
  // Clicked rows 0,1,2,5: positives .8, .4; negatives .3, .5 → .8 beats both, .4 beats .3: 3 of 4.
  // Over all rows it would be 5 of 8 (row 3's .9 is a negative that was never clicked).
  const click = f32([1, 1, 1, 0, 0, 1]);
  const purchase = f32([1, 0, 0, 0, 0, 1]);
  const pCvr = f32([0.8, 0.3, 0.5, 0.9, 0.1, 0.4]);
  const pCtr = f32([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  const pCtcvr = pCvr.map((v) => v * 0.5);

  it('recognises the template by structure: pCTCVR = multiply(pCTR, pCVR)', () => {
    expect(esmmPlan(esmm, outputs)).toEqual({ ctr: 'ctr', ctcvr: 'ctcvr', scores: { output: 'cvr' } });
    expect(esmmPlan(twoTaskGraph(), [{ name: 'a', nodeId: 'oa', label: 'la', loss: BINARY }, { name: 'b', nodeId: 'ob', label: 'lb', loss: BINARY }])).toBeUndefined();
  });

  it('from the CVR output: AUC 3/4 over the 4 clicked rows, against the conversion label', () => {
    const result = computeEvaluation(esmm, outputs, [pCtr, pCvr, pCtcvr], { ctr: click, ctcvr: purchase }, 6);
    expect(result.tasks[CVR_ON_CLICKS]?.auc).toBeCloseTo(0.75, 6);
    expect(result.cvrOnClicks).toEqual({ rows: 4, ctr: 'ctr', ctcvr: 'ctcvr', scores: { output: 'cvr' } });
    expect(Object.keys(result.tasks)).toEqual(['ctr', 'ctcvr', CVR_ON_CLICKS]);
  });

  it('without a CVR output: pCVR = pCTCVR / pCTR gives the same AUC', () => {
    const noCvr: Graph = { ...esmm, nodes: esmm.nodes.filter((n) => n.id !== 'cvr_out'), edges: esmm.edges.filter((e) => e.target.node !== 'cvr_out') };
    const two = [outputs[0], outputs[2]] as typeof outputs;
    expect(esmmPlan(noCvr, two)).toEqual({ ctr: 'ctr', ctcvr: 'ctcvr', scores: { ratio: true } });
    const result = computeEvaluation(noCvr, two, [pCtr, pCtcvr], { ctr: click, ctcvr: purchase }, 6);
    expect(result.tasks[CVR_ON_CLICKS]?.auc).toBeCloseTo(0.75, 6);
    expect(result.cvrOnClicks?.rows).toBe(4);
  });
});

describe('evaluations.json', () => {
  it('reads its records and drops what is not one', () => {
    const record = { file: '/d/test.csv', size: 10, mtime: '2026-01-01T00:00:00.000Z', date: '2026-01-02T00:00:00.000Z', rows: 3, tasks: {} };
    expect(parseEvaluations(JSON.stringify({ format: 'towerflow.evaluations', version: 1, evaluations: [record, { nope: 1 }] }))).toEqual([record]);
    expect(parseEvaluations('not json')).toEqual([]);
  });
});
