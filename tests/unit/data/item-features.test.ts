import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDataError, isDataError } from '../../../app/data/errors';
import { readItemFeatures, writeSequenceRows, type SequenceRow } from '../../../app/data/sequences';
import { collectRows, openTable } from '../../../app/data/table-reader';
import { SHARED_DATA, tempDir } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** MovieLens-100k's u.item: id | title | release | video release | IMDb URL | 19 genre flags (u.genre's order). */
const GENRES = ['unknown', 'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy', 'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western'];
const ITEM_COLUMNS = ['movie', 'title', 'release', 'video_release', 'url', ...GENRES];

describe('item side features', () => {
  it('reads MovieLens genres from the flag columns as one value per movie', async () => {
    const items = await readItemFeatures(path.join(SHARED_DATA, 'movielens-100k/u.item.gz'), {
      header: false,
      columns: ITEM_COLUMNS,
      separator: '|',
      encoding: 'latin1',
      key: 'movie',
      features: { genres: { flags: GENRES } },
    });
    if (isDataError(items)) throw new Error(formatDataError(items));
    expect(items.of.size).toBe(1682);
    // u.item's first lines: Toy Story is Animation, Children's, Comedy; GoldenEye Action, Adventure, Thriller.
    expect(items.of.get('1')?.genres).toBe("Animation+Children's+Comedy");
    expect(items.of.get('2')?.genres).toBe('Action+Adventure+Thriller');
    expect(items.of.get('3')?.genres).toBe('Thriller');
  });

  it('writes candidate_<f> and history_<f> aligned with the history; unknown items get "?"', async () => {
    const items = { names: ['cat'], of: new Map([['a', { cat: 'x' }], ['b', { cat: 'y, z' }]]) };
    const rows: SequenceRow[] = [{ user: 'u', history: ['a', 'zz', 'b'], candidate: 'b', label: 1, timestamp: 9, split: 'train' }];
    const file = path.join(tmp.dir, 'side.csv');
    expect(await writeSequenceRows(rows, file, items)).toBeUndefined();
    const table = await openTable(file, { header: true });
    if (isDataError(table)) throw new Error(formatDataError(table));
    expect(table.columns).toEqual(['user', 'history', 'candidate', 'label', 'timestamp', 'split', 'candidate_cat', 'history_cat']);
    const read = await collectRows(table);
    if (isDataError(read)) throw new Error(formatDataError(read));
    expect(read[0]?.values).toMatchObject({ candidate_cat: 'y, z', history_cat: 'x|?|y, z' });
  });

  it('refuses a feature value holding the list separator, and a duplicated item, with the line', async () => {
    const items = { names: ['cat'], of: new Map([['a', { cat: 'x|y' }]]) };
    const rows: SequenceRow[] = [{ user: 'u', history: ['a'], candidate: 'a', label: 1, timestamp: 1, split: 'train' }];
    expect(await writeSequenceRows(rows, path.join(tmp.dir, 'bad.csv'), items)).toMatchObject({ code: 'E_DATA_BAD_ID', line: 2 });
    const file = tmp.write('items.csv', 'id,cat\n1,a\n2,b\n1,c\n');
    expect(await readItemFeatures(file, { header: true, key: 'id', features: { cat: { column: 'cat' } } })).toMatchObject({ code: 'E_DATA_DUPLICATE_ID', line: 4, column: 'id' });
    expect(await readItemFeatures(file, { header: true, key: 'id', features: { cat: { column: 'genre' } } })).toMatchObject({ code: 'E_DATA_MISSING_COLUMN' });
  });
});
