import { describe, expect, it } from 'vitest';
import {
  HashEncoder,
  IdListEncoder,
  NumericEncoder,
  NumericStats,
  VocabularyCounter,
  VocabularyEncoder,
  encoderFromJSON,
  fnv1a32,
} from '../../../app/data/encoders';
import { formatDataError, type DataError } from '../../../app/data/errors';

const roundTrip = (encoder: { toJSON(): unknown }): unknown => encoderFromJSON(JSON.parse(JSON.stringify(encoder)));

describe('VocabularyEncoder', () => {
  const values = ['b', 'a', 'c', 'b', null, 'a', 'b', 'd', 'c', 'a', 'e'];

  it('orders by frequency then value, reserves 0 for missing and unseen values', () => {
    // counts: a 3, b 3, c 2, d 1, e 1 -> a, b (tie by value), c, d, e
    const vocab = VocabularyEncoder.fit(values);
    expect(vocab.values).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(vocab.size).toBe(6);
    expect(Array.from(vocab.encodeColumn(['a', 'b', 'e', null, 'zzz']))).toEqual([1, 2, 5, 0, 0]);
    expect(vocab.decode(3)).toBe('c');
    expect(vocab.decode(0)).toBeNull();
  });

  it('applies minimum frequency and table size', () => {
    expect(VocabularyEncoder.fit(values, { minFrequency: 2 }).values).toEqual(['a', 'b', 'c']);
    const small = VocabularyEncoder.fit(values, { tableSize: 3 });
    expect(small.values).toEqual(['a', 'b']);
    expect(small.size).toBe(3);
    expect(small.encode('c')).toBe(0);
  });

  it('is deterministic whatever the input order', () => {
    const shuffledValues = [...values].reverse();
    expect(VocabularyEncoder.fit(shuffledValues).values).toEqual(VocabularyEncoder.fit(values).values);
  });

  it('round-trips through JSON', () => {
    const vocab = VocabularyEncoder.fit(values);
    const back = roundTrip(vocab) as VocabularyEncoder;
    expect(back).toBeInstanceOf(VocabularyEncoder);
    expect(back.toJSON()).toEqual(vocab.toJSON());
    expect(Array.from(back.encodeColumn(['e', 'a', 'x']))).toEqual([5, 1, 0]);
  });

  it('rejects malformed JSON as a DataError', () => {
    expect(VocabularyEncoder.fromJSON({ type: 'vocabulary', values: ['a', 'a'] })).toEqual({
      code: 'E_DATA_BAD_ENCODER_JSON',
      message: 'vocabulary encoder JSON lists a value twice',
    });
    expect(VocabularyEncoder.fromJSON({ type: 'vocabulary', values: [1] })).toMatchObject({
      code: 'E_DATA_BAD_ENCODER_JSON',
      message: expect.stringContaining('at values.0') as unknown,
    });
    expect(encoderFromJSON({ type: 'onehot' })).toEqual({
      code: 'E_DATA_BAD_ENCODER_JSON',
      message: 'unknown encoder type "onehot"',
    });
  });
});

describe('HashEncoder', () => {
  it('uses FNV-1a 32 (reference vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    // UTF-8 bytes, not UTF-16 code units: 'é' is C3 A9.
    expect(fnv1a32('é')).toBe(Math.imul(Math.imul(0x811c9dc5 ^ 0xc3, 0x01000193) ^ 0xa9, 0x01000193) >>> 0);
  });

  it('maps values to 1..N-1 and missing to 0, stably', () => {
    const hash = new HashEncoder(10);
    expect(hash.encode('a')).toBe(1 + (0xe40c292c % 9));
    expect(hash.encode(null)).toBe(0);
    const codes = new HashEncoder(7).encodeColumn(Array.from({ length: 500 }, (_, i) => `v${i}`));
    expect(Math.min(...codes)).toBe(1);
    expect(Math.max(...codes)).toBe(6);
    const back = roundTrip(hash) as HashEncoder;
    expect(back.encode('foobar')).toBe(hash.encode('foobar'));
  });
});

describe('NumericEncoder', () => {
  const source = { file: 'train.csv', column: 'price', lines: [2, 3, 4, 5, 6] };

  it('standardises with the population std and encodes missing as the mean', () => {
    // mean 5, population variance ((3^2 + 1 + 1 + 3^2) / 4) = 5
    const encoder = NumericEncoder.fit(['2', '4', '6', '8', null], source) as NumericEncoder;
    expect(encoder.mean).toBe(5);
    expect(encoder.std).toBeCloseTo(Math.sqrt(5), 12);
    const encoded = encoder.encodeColumn(['2', null, '5', '10'], source) as Float32Array;
    expect(Array.from(encoded)).toEqual([-3 / Math.sqrt(5), 0, 0, 5 / Math.sqrt(5)].map(Math.fround));
  });

  it('uses std 1 for a constant column', () => {
    const encoder = NumericEncoder.fit(['3', '3'], source) as NumericEncoder;
    expect(encoder.std).toBe(1);
    expect(encoder.encode('4')).toBe(1);
  });

  it('fits log1p statistics for heavy tails', () => {
    const encoder = NumericEncoder.fit(['0', String(Math.E - 1)], source, { log1p: true }) as NumericEncoder;
    expect(encoder.mean).toBeCloseTo(0.5, 12);
    expect(encoder.std).toBeCloseTo(0.5, 12);
    expect(encoder.encode(String(Math.E ** 2 - 1)) as number).toBeCloseTo(3, 12);
  });

  it('streams through NumericStats with the same result as fit', () => {
    const stats = new NumericStats();
    for (const raw of ['1', '2', null, '10']) {
      const value = NumericEncoder.prepare(raw, false, {});
      if (typeof value === 'number') stats.add(value);
    }
    expect(NumericEncoder.fromStats(stats, false).toJSON()).toEqual(
      (NumericEncoder.fit(['1', '2', null, '10'], source) as NumericEncoder).toJSON(),
    );
  });

  it.each([
    ['text in a numeric column (fit)', () => NumericEncoder.fit(['1', '2', 'abc'], source), 'E_DATA_NOT_NUMERIC', 4, 'train.csv:4: column "price": expected a number, got "abc"'],
    [
      'text in a numeric column (encode)',
      () => (NumericEncoder.fit(['1'], source) as NumericEncoder).encodeColumn(['1', '2', '3', '4', '12,5'], source),
      'E_DATA_NOT_NUMERIC',
      6,
      'train.csv:6: column "price": expected a number, got "12,5"',
    ],
    [
      'negative value under log1p',
      () => NumericEncoder.fit(['1', '-2'], source, { log1p: true }),
      'E_DATA_NEGATIVE_FOR_LOG',
      3,
      'train.csv:3: column "price": log1p needs values >= 0, got "-2"',
    ],
  ])('%s is a DataError with file, line, column and value', (_name, run, code, line, text) => {
    const error = run() as DataError;
    expect(error).toMatchObject({ code, file: 'train.csv', line, column: 'price' });
    expect(formatDataError(error)).toBe(text);
  });

  it('round-trips through JSON', () => {
    const encoder = NumericEncoder.fit(['1', '5', '100'], source, { log1p: true }) as NumericEncoder;
    const back = roundTrip(encoder) as NumericEncoder;
    expect(back.toJSON()).toEqual(encoder.toJSON());
    expect(back.encode('42')).toBe(encoder.encode('42'));
  });
});

describe('IdListEncoder', () => {
  // One vocabulary for candidate items and histories: counts 3:3, 1:2, 2:2, 9:1, 4:1.
  const counter = new VocabularyCounter();
  for (const item of ['3', '1', '9']) counter.add(item);
  for (const history of ['1|2|3', '2|3|4', null]) counter.addIdList(history, '|');
  const items = VocabularyEncoder.fromCounts(counter);

  it('shares one id space between the candidate column and the history column', () => {
    expect(items.values).toEqual(['3', '1', '2', '4', '9']);
    const history = new IdListEncoder(items, '|', 4);
    const candidate = items.encode('2');
    expect(Array.from(history.encode('2'))).toEqual([0, 0, 0, candidate]);
  });

  it('pads on the left, keeps the most recent ids and drops unknown ids', () => {
    const history = new IdListEncoder(items, '|', 3);
    expect(Array.from(history.encode('1'))).toEqual([0, 0, 2]);
    expect(Array.from(history.encode('9|1|2|3|4'))).toEqual([3, 1, 4]);
    expect(Array.from(history.encode('1|unknown|2'))).toEqual([0, 2, 3]);
    expect(Array.from(history.encode(null))).toEqual([0, 0, 0]);
    expect(Array.from(history.encode(' 1 || 2 '))).toEqual([0, 2, 3]);
  });

  it('encodes a batch row-major', () => {
    const history = new IdListEncoder(items, '|', 2);
    expect(Array.from(history.encodeColumn(['1|2|3', null, '4']))).toEqual([3, 1, 0, 0, 0, 4]);
  });

  it('works with hashed ids and round-trips through JSON', () => {
    const hashed = new IdListEncoder(new HashEncoder(1000), ' ', 5);
    const back = roundTrip(hashed) as IdListEncoder;
    expect(back).toBeInstanceOf(IdListEncoder);
    expect(back.toJSON()).toEqual({ type: 'idlist', separator: ' ', maxLength: 5, padding: 'left', ids: { type: 'hash', buckets: 1000 } });
    expect(Array.from(back.encode('a b c'))).toEqual(Array.from(hashed.encode('a b c')));
    const vocabBack = roundTrip(new IdListEncoder(items, '|', 3)) as IdListEncoder;
    expect(Array.from(vocabBack.encode('4|9'))).toEqual([0, 4, 5]);
  });
});
