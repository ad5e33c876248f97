import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '../../../app/host/handlers';
import { fittingLayouts, loadLayouts } from '../../../app/host/layouts';
import { ALI_CCP } from '../train/helpers';
import { call, CENSUS_FIXTURE, makeWorkspace, ok, readJson, REPO, template, webHost } from './helpers';

/** Shipped bindings offered for the files they fit (examples/*.binding.json). */
describe('known data layouts', () => {
  let layouts: Awaited<ReturnType<typeof loadLayouts>>;
  beforeAll(async () => {
    layouts = await loadLayouts(join(REPO, 'examples'));
  });

  it('loads every shipped binding', () => {
    expect(layouts.map((l) => l.id)).toEqual(['ali-ccp', 'census-income', 'movielens-din-genres', 'movielens-din']);
  });

  it('fits a header-less file by its column count, and a file with a header by the columns the binding names', () => {
    const columns = (n: number) => Array.from({ length: n }, (_, i) => `column ${i + 1}`);
    expect(fittingLayouts(layouts, { hasHeader: false, columns: columns(42) }).map((l) => l.id)).toEqual(['census-income']);
    expect(fittingLayouts(layouts, { hasHeader: false, columns: columns(41) })).toEqual([]);
    const census = fittingLayouts(layouts, { hasHeader: false, columns: columns(42) })[0];
    expect(census).toMatchObject({ columns: 42, binding: readJson('examples/census-income.binding.json') });

    // MovieLens sequences from `towerflow sequences`: user, candidate, history, label.
    expect(fittingLayouts(layouts, { hasHeader: true, columns: ['user', 'candidate', 'history', 'label', 'timestamp'] }).map((l) => l.id)).toEqual(['movielens-din']);
    expect(fittingLayouts(layouts, { hasHeader: true, columns: ['user', 'candidate', 'history'] })).toEqual([]);
    // …and with `--items` genres: both fit, the genres one uses the extra columns.
    const withGenres = ['user', 'history', 'candidate', 'label', 'timestamp', 'split', 'candidate_genres', 'history_genres'];
    expect(fittingLayouts(layouts, { hasHeader: true, columns: withGenres }).map((l) => l.id)).toEqual(['movielens-din-genres', 'movielens-din']);
    // A binding that names no column (Ali-CCP's columns already have the graph's names) fits nothing.
    expect(fittingLayouts(layouts, { hasHeader: true, columns: ['click', 'purchase'] })).toEqual([]);
  });

  it('fits Ali-CCP by its header names though its numeric names made the file read as header-less (#21.11)', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(join(ALI_CCP, 'ali_ccp_train_sample.csv'), 'utf8').split('\n');
    const names = (text[0] ?? '').split(',');
    const graph = { features: ['101', '205', 'D508'].map((graphColumn) => ({ graphColumn })), labels: [{ columns: ['click'] }, { columns: ['purchase'] }] };
    const readAsData = { hasHeader: false, columns: names.map((_, i) => `c${i + 1}`), rows: [names, (text[1] ?? '').split(',')], binding: graph };
    expect(fittingLayouts(layouts, readAsData).map((l) => l.id)).toEqual(['ali-ccp']);
    // A graph column the first row lacks: no fit; a file whose header was found needs no "header": true.
    expect(fittingLayouts(layouts, { ...readAsData, binding: { ...graph, features: [{ graphColumn: 'age' }] } })).toEqual([]);
    expect(fittingLayouts(layouts, { hasHeader: true, columns: names, binding: graph })).toEqual([]);
  });

  it('leaves out a damaged binding instead of failing', async () => {
    const ws = await makeWorkspace();
    await mkdir(join(ws.dir, 'ex'));
    await writeFile(join(ws.dir, 'ex', 'broken.binding.json'), '{ "header": 3 }');
    await writeFile(join(ws.dir, 'ex', 'ok.binding.json'), '{ "header": false, "columns": ["a", "b"] }');
    expect((await loadLayouts(join(ws.dir, 'ex'))).map((l) => l.id)).toEqual(['ok']);
    await ws.cleanup();
  });
});

describe('dataset:inspect offers them', () => {
  let ws: { dir: string; cleanup: () => Promise<void> };
  let host: Host;
  beforeAll(async () => {
    ws = await makeWorkspace();
    host = await webHost(ws.dir);
    await writeFile(join(ws.dir, 'census.csv'), await (await import('node:fs/promises')).readFile(CENSUS_FIXTURE));
  });
  afterAll(async () => {
    await host.dispose();
    await ws.cleanup();
  });

  it('offers census-income for the header-less census file, and nothing once the binding names the columns', async () => {
    const bare = ok(await call(host, 'dataset:inspect', { path: 'census.csv', graph: template('mmoe') }));
    expect(bare.hasHeader).toBe(false);
    expect(bare.layouts?.map((l) => l.id)).toEqual(['census-income']);
    const bound = ok(await call(host, 'dataset:inspect', { path: 'census.csv', graph: template('mmoe'), binding: bare.layouts?.[0]?.binding }));
    expect(bound.layouts).toBeUndefined();
    expect(bound.binding?.problems).toEqual([]);
  });
});
