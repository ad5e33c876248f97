import { existsSync, readdirSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isDataError } from '../../../app/data/errors';
import { prepareData } from '../../../app/data/prepare';
import { runTraining } from '../../../app/train/run';
import { DEFAULT_TRAIN_OPTIONS } from '../../../app/train/session';
import { compileOrThrow } from '../../helpers/plain';
import { dinGenresBinding, dinGenresGraph, HEADER, TRAIN_ROWS } from './din-genres';
import { tempDir } from './helpers';

/**
 * The row-by-row reader (DIN's id lists go through it) reads a file twice: a file that changes
 * between the passes is refused, and an aborted read stops at the next row, leaving no run behind.
 */
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const ROWS = 20_000;
const file = tmp.write('din.csv', [HEADER, ...Array.from({ length: ROWS }, (_, i) => TRAIN_ROWS[i % TRAIN_ROWS.length])].join('\n') + '\n');
const split = { validation: 0.2, seed: 1 };

describe('a file that changes between the passes', () => {
  it('is refused with E_DATA_FILE_CHANGED naming the file, not trained as zeros', async () => {
    const compiled = compileOrThrow(dinGenresGraph());
    try {
      const changing = tmp.write('changing.csv', [HEADER, ...Array.from({ length: 3000 }, (_, i) => TRAIN_ROWS[i % TRAIN_ROWS.length])].join('\n') + '\n');
      const result = await prepareData(compiled, dinGenresBinding(), { train: changing }, split, {
        // As the issue did: truncate the CSV once pass 1 has read it.
        onPass: (pass) => (pass === 'encode' ? truncateSync(changing, 40_000) : undefined),
      });
      expect(result).toMatchObject({ code: 'E_DATA_FILE_CHANGED', file: changing });
    } finally {
      compiled.model.dispose();
    }
  });
});

describe('cancelling while the data is read', () => {
  it('stops within a row of the abort with E_CANCELLED', async () => {
    const compiled = compileOrThrow(dinGenresGraph());
    try {
      // A signal that turns aborted on its 1,000th look; each look is one row read.
      let looks = 0;
      const signal = {
        get aborted() {
          return ++looks >= 1000;
        },
      } as AbortSignal;
      const result = await prepareData(compiled, dinGenresBinding(), { train: file }, split, { signal });
      expect(isDataError(result) && result.code).toBe('E_CANCELLED');
      expect(looks).toBe(1000);
    } finally {
      compiled.model.dispose();
    }
  });

  it('runTraining returns a cancellation and makes no run folder', async () => {
    const runs = path.join(tmp.dir, 'runs');
    const controller = new AbortController();
    const outcome = await runTraining(
      { graph: dinGenresGraph(), data: file, binding: dinGenresBinding(), options: { ...DEFAULT_TRAIN_OPTIONS, epochs: 1 }, validationShare: 0.2, runsDir: runs, backend: 'cpu' },
      {
        signal: controller.signal,
        // Ctrl+C as reading begins.
        onEvent: (event) => (event.type === 'stage' && event.message.startsWith('reading') ? controller.abort() : undefined),
      },
    );
    expect(outcome).toMatchObject({ ok: false, cancelled: true });
    expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
  }, 60_000);
});
