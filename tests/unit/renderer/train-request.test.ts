import { describe, expect, it } from 'vitest';
import type { Graph } from '../../../app/graph/schema';
import { DEFAULT_OPTIONS, type TrainOptionsDraft } from '../../../renderer/state/train-options';
import { engineRequestOf, trainRequestOf } from '../../../renderer/state/train-request';
import { beginValidCheck, chooseValidFile, endValidCheck, initialValidFile, usesValidFile, validCheckOf } from '../../../renderer/state/valid-file';

const graph = { version: 1, name: 'g', nodes: [], edges: [] } as unknown as Graph;
const metrics = ['loss', 'ctr.loss', 'ctr.auc', 'ctr.logloss', 'ctr.gauc', 'mean.auc', 'mean.gauc'];
const request = (patch: Partial<TrainOptionsDraft> = {}, validPath = '') =>
  trainRequestOf({ graph, dataPath: ' train.csv ', validPath, binding: {}, options: { ...DEFAULT_OPTIONS, ...patch }, outputNames: ['ctr'], metrics });

describe('the Train tab’s run request', () => {
  it('validates on a share of the data file when no validation file is set', () => {
    const r = request({ validationShare: 0.3 });
    expect(r.data).toBe('train.csv');
    expect(r).not.toHaveProperty('valid');
    expect(r.validationShare).toBe(0.3);
  });

  it('carries the validation file, trimmed, and holds no rows of the data file out then', () => {
    const r = request({ validationShare: 0.3 }, '  valid.csv ');
    expect(r.valid).toBe('valid.csv');
    expect(r.validationShare).toBe(0);
  });

  it('sends no metric by default: the best epoch is the one with the lowest loss, as before', () => {
    expect(request().options).not.toHaveProperty('earlyStopping');
  });

  it('sends a chosen best-epoch metric without early stopping as bestMetric, with no early stopping at all', () => {
    const r = request({ epochs: 5000, earlyStopping: { enabled: false, metric: 'ctr.gauc', patience: 2 } });
    expect(r.options.bestMetric).toBe('ctr.gauc');
    expect(r.options).not.toHaveProperty('earlyStopping');
    expect(request().options).not.toHaveProperty('bestMetric');
    // With early stopping on, its metric picks the best epoch: no second one is sent.
    expect(request({ earlyStopping: { enabled: true, metric: 'ctr.auc', patience: 2 } }).options).not.toHaveProperty('bestMetric');
  });

  it('sends the schedule fields of the chosen type only, clipping when above 0, and the warm-start run', () => {
    const schedule = { warmupSteps: 10, minLearningRate: 0.0001, everyEpochs: 3, factor: 0.1 };
    expect(request().options).not.toHaveProperty('lrSchedule');
    expect(request({ lrSchedule: { type: 'constant', ...schedule } }).options.lrSchedule).toEqual({ type: 'constant', warmupSteps: 10 });
    expect(request({ lrSchedule: { type: 'cosine', ...schedule } }).options.lrSchedule).toEqual({ type: 'cosine', warmupSteps: 10, minLearningRate: 0.0001 });
    expect(request({ lrSchedule: { type: 'step', ...schedule } }).options.lrSchedule).toEqual({ type: 'step', warmupSteps: 10, everyEpochs: 3, factor: 0.1 });
    expect(request({ clipNorm: 0 }).options).not.toHaveProperty('clipNorm');
    expect(request({ clipNorm: 2.5 }).options.clipNorm).toBe(2.5);
    expect(request({ initFrom: ' /w/runs/a ' }).options.initFrom).toBe('/w/runs/a');
    expect(request().options).not.toHaveProperty('initFrom');
  });

  it('sends early stopping with its own patience when it is on', () => {
    expect(request({ earlyStopping: { enabled: true, metric: 'mean.auc', patience: 3 } }).options.earlyStopping).toEqual({ metric: 'mean.auc', patience: 3 });
  });

  it('falls back to the loss for a metric of another graph’s outputs', () => {
    expect(request({ earlyStopping: { enabled: false, metric: 'like.auc', patience: 2 } }).options).not.toHaveProperty('earlyStopping');
    expect(request({ earlyStopping: { enabled: true, metric: 'like.auc', patience: 2 } }).options.earlyStopping).toEqual({ metric: 'loss', patience: 2 });
  });
});

describe('the validation file of the Train tab', () => {
  it('disables the validation share only while a path is set', () => {
    expect(usesValidFile(initialValidFile)).toBe(false);
    expect(usesValidFile(chooseValidFile(initialValidFile, 'v.csv'))).toBe(true);
    expect(usesValidFile(chooseValidFile(initialValidFile, '   '))).toBe(false);
  });

  it('keeps the answer to the newest check only, and drops what was said of the previous file', () => {
    let s = chooseValidFile(initialValidFile, 'a.csv');
    const old = beginValidCheck(s);
    s = chooseValidFile(old, 'b.csv');
    const current = beginValidCheck(s);
    expect(endValidCheck(current, old.ticket, { error: 'late' })).toBe(current);
    s = endValidCheck(current, current.ticket, { error: 'bad' });
    expect(s).toMatchObject({ checking: false, error: 'bad' });
    const again = beginValidCheck(s);
    s = endValidCheck(again, again.ticket, { columns: 42 });
    expect(s.columns).toBe(42);
    expect(s.error).toBeUndefined();
    expect(chooseValidFile(s, 'c.csv').columns).toBeUndefined();
  });

  it('refuses a file the binding does not fit or with another column count, with the reason', () => {
    const data = { columns: ['a', 'b', 'c'] };
    expect(validCheckOf({ columns: ['a', 'b', 'c'] }, data)).toEqual({ columns: 3 });
    expect(validCheckOf({ columns: ['a', 'b'] }, data)).toEqual({ error: 'It has 2 columns; the data file has 3.' });
    expect(validCheckOf({ columns: ['a', 'b', 'c'], binding: { problems: ['label "y": column y not found'] } }, data)).toEqual({ error: 'The binding does not fit it: label "y": column y not found' });
    expect(validCheckOf({ columns: ['a'], error: { message: 'v.csv:2: expected 3 fields, got 1' } }, data)).toEqual({ error: 'v.csv:2: expected 3 fields, got 1' });
  });
});

describe('the Train tab’s engine fields', () => {
  const engine = (patch: Partial<TrainOptionsDraft>) => engineRequestOf({ ...DEFAULT_OPTIONS, ...patch });

  it('sends the chosen CPU threads to a Node run on wasm, cpu or auto, and nothing for the default of one', () => {
    expect(engine({ threads: 2 })).toEqual({ engine: 'node', threads: 2 });
    expect(engine({ backend: 'wasm', threads: 3 })).toEqual({ engine: 'node', backend: 'wasm', threads: 3 });
    expect(engine({ backend: 'cpu', threads: 2 })).toEqual({ engine: 'node', backend: 'cpu', threads: 2 });
    expect(engine({})).toEqual({ engine: 'node' });
  });

  it('sends no threads where they do not reach the backend: another Node backend, or the window’s GPU', () => {
    expect(engine({ backend: 'node', threads: 2 })).toEqual({ engine: 'node', backend: 'node' });
    expect(engine({ engine: 'browser', threads: 2 })).toEqual({ engine: 'browser', browserBackend: 'auto' });
  });
});
