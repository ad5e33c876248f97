import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../app/cli/main';
import { openTable } from '../../app/data/table-reader';
import { twoTaskCsv, twoTaskGraph } from './train/helpers';
import { runCli } from '../helpers/cli';

/**
 * A named pipe, a folder or a device given where a file is read. Opening a named pipe waits for a
 * writer, so every such path is looked at before it is opened and refused with what it is: the
 * command ends with exit 1 and `path: not a regular file but …`, and nothing hangs.
 */
const tmp = mkdtempSync(path.join(tmpdir(), 'towerflow-not-a-file-'));
const FIFO = path.join(tmp, 'pipe.csv');
execFileSync('mkfifo', [FIFO]);
const FOLDER = path.join(tmp, 'folder.csv');
mkdirSync(FOLDER);
const write = (name: string, text: string) => {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
};
const GRAPH = write('graph.json', JSON.stringify(twoTaskGraph()));
const TRAIN = write('train.csv', twoTaskCsv(120, 1));

afterAll(() => {
  // Had a reader been left waiting on the pipe (the bug), a writer that opens and closes it lets it go.
  try {
    closeSync(openSync(FIFO, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // ENXIO: nobody is reading it, which is the expected case.
  }
  rmSync(tmp, { recursive: true, force: true });
});

const run = runCli;

describe('paths that are not regular files', () => {
  it.each([
    { what: 'a named pipe', file: FIFO, kind: 'a named pipe (FIFO)' },
    { what: 'a folder', file: FOLDER, kind: 'a folder' },
    { what: '/dev/zero', file: '/dev/zero', kind: 'a character device' },
  ])('openTable refuses $what with what it is', async ({ file, kind }) => {
    expect(await openTable(file)).toEqual({ code: 'E_DATA_NOT_A_FILE', message: `not a regular file but ${kind}`, file });
  });

  const RUNS = path.join(tmp, 'runs');
  it.each([
    { what: 'train --data', argv: () => ['train', GRAPH, '--data', FIFO, '--backend', 'cpu', '--runs', RUNS] },
    { what: 'train --valid', argv: () => ['train', GRAPH, '--data', TRAIN, '--valid', FIFO, '--backend', 'cpu', '--runs', RUNS] },
    { what: 'train --binding', argv: () => ['train', GRAPH, '--data', TRAIN, '--binding', FIFO, '--backend', 'cpu', '--runs', RUNS] },
    { what: "train's graph", argv: () => ['train', FIFO, '--data', TRAIN, '--backend', 'cpu', '--runs', RUNS] },
    { what: "validate's graph", argv: () => ['validate', FIFO] },
    { what: "export's graph", argv: () => ['export', FIFO, '--ts', path.join(tmp, 'out.ts')] },
    { what: "sequences' event log", argv: () => ['sequences', FIFO, '--out', path.join(tmp, 'seq.csv')] },
    { what: "sequences' --out", argv: () => ['sequences', TRAIN, '--user', 'color', '--item', 'shape', '--time', 'x', '--out', FIFO] },
  ])('$what as a named pipe: exit 1, "<path>: not a regular file but a named pipe (FIFO)"', async ({ argv }) => {
    const { code, err } = await run(argv());
    expect(err).toEqual([`${FIFO}: not a regular file but a named pipe (FIFO)`]);
    expect(code).toBe(EXIT.badInput);
  });

  it("predict --data as a named pipe or a folder: exit 1, naming the path and what it is", async () => {
    const trained = await run(['train', GRAPH, '--data', TRAIN, '--epochs', '1', '--backend', 'cpu', '--runs', RUNS]);
    expect(trained.code).toBe(EXIT.ok);
    const dir = (trained.out.at(-1) ?? '').replace(/^saved /, '');
    for (const [file, kind] of [[FIFO, 'a named pipe (FIFO)'], [FOLDER, 'a folder']] as const) {
      const { code, err } = await run(['predict', dir, '--data', file, '--backend', 'cpu']);
      expect(err).toEqual([`${file}: not a regular file but ${kind}`]);
      expect(code).toBe(EXIT.badInput);
    }
  });

  it('a folder as the graph of validate: exit 1, "<path>: not a regular file but a folder"', async () => {
    const { code, err } = await run(['validate', FOLDER]);
    expect(err).toEqual([`${FOLDER}: not a regular file but a folder`]);
    expect(code).toBe(EXIT.badInput);
  });
});
