import { afterAll, describe, expect, it } from 'vitest';
import { IdListEncoder, IdListGroup, VocabularyEncoder } from '../../../app/data/encoders';
import { isDataError } from '../../../app/data/errors';
import { planInputs, sequenceGroups } from '../../../app/data/feature-plan';
import { encodeFile, prepareData } from '../../../app/data/prepare';
import { predictSplit } from '../../../app/train/session';
import { compileOrThrow, randomizeWeights, rng } from '../../helpers/plain';
import { dinGenresBinding, dinGenresGraph, HEADER, TRAIN_ROWS } from './din-genres';
import { tempDir } from './helpers';

/**
 * A behaviour is one position in all of its lists (DIN: an item and that item's genres). Lists the
 * model joins position by position are encoded together: a position is kept in every list or in none.
 */
const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('IdListGroup: one behaviour per position', () => {
  const items = VocabularyEncoder.fit(['242', '286']);
  const genres = VocabularyEncoder.fit(['Comedy', 'Drama', 'Drama+Romance+War']);
  const group = new IdListGroup([new IdListEncoder(items, '|', 4), new IdListEncoder(genres, '|', 4)]);
  const encode = (history: string | null, genreList: string | null) => {
    const outs = [new Int32Array(4), new Int32Array(4)];
    const error = group.encode([history, genreList], outs, [0, 0], { file: 'f.csv', line: 2, columns: ['history', 'history_genres'] });
    return error ?? outs.map((o) => [...o]);
  };

  it('drops the unknown item together with its genres (the issue example)', () => {
    // 242 is a Comedy, 99999 (unknown) a Drama, 286 a Drama+Romance+War: 242 must stay paired with Comedy.
    expect(encode('242|99999|286', 'Comedy|Drama|Drama+Romance+War')).toEqual([
      [0, 0, items.encode('242'), items.encode('286')],
      [0, 0, genres.encode('Comedy'), genres.encode('Drama+Romance+War')],
    ]);
  });

  it('drops a known item whose genre is missing or unknown, since the joined mask would hide it anyway', () => {
    expect(encode('242|286', '?|Comedy')).toEqual([
      [0, 0, 0, items.encode('286')],
      [0, 0, 0, genres.encode('Comedy')],
    ]);
    // A missing cell is a list of unknowns: nothing of the row is a complete behaviour.
    expect(encode('242|286', null)).toEqual([
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
  });

  it('refuses lists that cannot be paired, naming the file, line and column', () => {
    expect(encode('242|286', 'Comedy')).toMatchObject({ code: 'E_DATA_SEQUENCE_LENGTHS', file: 'f.csv', line: 2, column: 'history_genres' });
  });
});

describe('DIN with item and genre histories joined by concat', () => {
  it('groups the two histories the concat joins, and only those', () => {
    const compiled = compileOrThrow(dinGenresGraph());
    try {
      const history = compiled.inputs.filter((i) => i.dtype === 'int32' && i.shape[0] === 20).map((i) => i.name);
      expect(history).toHaveLength(2);
      expect(sequenceGroups(compiled)).toEqual([history]);
      expect(planInputs(compiled).filter((p) => p.kind === 'sequence').map((p) => p.kind === 'sequence' && p.group)).toEqual([history[0], history[0]]);
    } finally {
      compiled.model.dispose();
    }
  });

  it('predicts the same when an (unknown item, its genres) pair moves to another place in both lists', async () => {
    const compiled = compileOrThrow(dinGenresGraph(), 3);
    try {
      randomizeWeights(compiled.model, rng(11));
      const binding = dinGenresBinding();
      const train = tmp.write('train.csv', [HEADER, ...TRAIN_ROWS].join('\n') + '\n');
      const prepared = await prepareData(compiled, binding, { train }, { validation: 0, seed: 1 });
      if (isDataError(prepared)) throw new Error(prepared.message);
      // Attention and sum pooling ignore order: only the pairing of items with genres can change the prediction.
      const moved = tmp.write(
        'moved.csv',
        [HEADER, 'u1,30,War,10|99999|20|40,Comedy|War|Drama|Romance,1', 'u1,30,War,10|20|40|99999,Comedy|Drama|Romance|War,1'].join('\n') + '\n',
      );
      const encoded = await encodeFile(compiled, prepared.encoders, binding, moved, false);
      if (isDataError(encoded)) throw new Error(encoded.message);
      const [out] = predictSplit(compiled.model, compiled.inputs, encoded);
      const [a = Number.NaN, b = Number.NaN] = out ?? [];
      expect(Math.abs(a - b)).toBeLessThan(1e-6);
      expect(prepared.encoders.sequences).toEqual([sequenceGroups(compiled)[0]]);
      // The lists encoded one by one (as before, and as runs saved without "sequences" still are) pair 10 with War.
      const { sequences: _, ...separately } = prepared.encoders;
      const apart = await encodeFile(compiled, separately, binding, moved, false);
      if (isDataError(apart)) throw new Error(apart.message);
      const [c = Number.NaN, d = Number.NaN] = predictSplit(compiled.model, compiled.inputs, apart)[0] ?? [];
      expect(Math.abs(c - d)).toBeGreaterThan(1e-4);
    } finally {
      compiled.model.dispose();
    }
  });
});
