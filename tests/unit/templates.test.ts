import * as tf from '@tensorflow/tfjs';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { serializeGraph } from '../../app/graph/serialize';
import { graphJsonSchema } from '../../app/graph/json-schema';
import { validateGraph } from '../../app/validate/validate';
import { VOCAB_PLACEHOLDER } from '../../app/nodes/shared/params';
import {
  ALICCP_DENSE, ALICCP_EMBEDDING_DIM, ALICCP_ITEM, ALICCP_USER, ALICCP_VOCAB, CENSUS_CATEGORICAL, CENSUS_EMBEDDING_DIM, CENSUS_NUMERIC,
  DIN_DIM, MOVIELENS_ITEMS, MOVIELENS_USERS, TEMPLATES,
} from '../../scripts/template-definitions';
import { compileOrThrow, loadTemplate, predictAll, randomBatch } from '../helpers/plain';

const dense = (inputs: number, units: number, bias = true) => inputs * units + (bias ? units : 0);

/** Parameter counts derived by hand from each paper's architecture, independent of the compiler. */
// Census columns size from the data (vocabSize auto): before any data, each has the placeholder's rows.
const censusEmbeddings = CENSUS_CATEGORICAL.length * VOCAB_PLACEHOLDER * CENSUS_EMBEDDING_DIM; // 32 × 1000 × 4
const censusWidth = CENSUS_CATEGORICAL.length * CENSUS_EMBEDDING_DIM + CENSUS_NUMERIC.length; // 135
const censusTowers = 2 * (dense(16, 8) + dense(8, 1)); // two towers [8] on 16-wide mixtures
const expert16 = (inputs: number) => dense(inputs, 16);

const HAND_COUNTS: Record<string, number> = {
  'shared-bottom': censusEmbeddings + dense(censusWidth, 64) + 2 * (dense(64, 8) + dense(8, 1)),
  omoe: censusEmbeddings + 8 * expert16(censusWidth) + dense(censusWidth, 8, false) + censusTowers,
  mmoe: censusEmbeddings + 8 * expert16(censusWidth) + 2 * dense(censusWidth, 8, false) + censusTowers,
  // CGC: 2 experts per task + 2 shared; each task gate weighs 4 experts.
  cgc: censusEmbeddings + 6 * expert16(censusWidth) + 2 * dense(censusWidth, 4, false) + censusTowers,
  // PLE: level 1 as CGC plus a shared gate over all 6; level 2 experts and gates read 16-wide gate outputs.
  ple:
    censusEmbeddings + 6 * expert16(censusWidth) + 2 * dense(censusWidth, 4, false) + dense(censusWidth, 6, false) +
    6 * expert16(16) + 2 * dense(16, 4, false) + censusTowers,
  esmm:
    (ALICCP_USER.length + ALICCP_ITEM.length) * ALICCP_VOCAB * ALICCP_EMBEDDING_DIM +
    2 * (dense((ALICCP_USER.length + ALICCP_ITEM.length) * ALICCP_EMBEDDING_DIM + ALICCP_DENSE.length, 64) + dense(64, 32) + dense(32, 1)),
  // DIN: user table, one shared item table, activation unit on [q,k,q−k,q⊙k] = 4d, tower on 3d.
  din:
    MOVIELENS_USERS * DIN_DIM + MOVIELENS_ITEMS * DIN_DIM + dense(4 * DIN_DIM, 80) + dense(80, 40) + dense(40, 1) +
    dense(3 * DIN_DIM, 80) + dense(80, 40) + dense(40, 1),
};

describe('templates', () => {
  const files = readdirSync(new URL('../../templates/', import.meta.url)).filter((f) => f.endsWith('.json'));

  it('are the seven architectures of the gallery', () => {
    expect(files.map((f) => f.replace('.json', '')).sort()).toEqual(Object.keys(TEMPLATES).sort());
    expect(Object.keys(TEMPLATES).sort()).toEqual(['cgc', 'din', 'esmm', 'mmoe', 'omoe', 'ple', 'shared-bottom']);
  });

  it.each(Object.keys(TEMPLATES))('%s is in step with its definition (run `npm run templates` after changing it)', (name) => {
    const make = TEMPLATES[name] as () => ReturnType<typeof loadTemplate>;
    const onDisk = readFileSync(new URL(`../../templates/${name}.json`, import.meta.url), 'utf8');
    expect(onDisk).toBe(serializeGraph(make(), '../schema/graph.schema.json'));
  });

  it.each(Object.keys(TEMPLATES))('%s validates with no diagnostics and has a one-line description', (name) => {
    const graph = loadTemplate(name);
    expect(validateGraph(graph).diagnostics).toEqual([]);
    expect(graph.description).toMatch(/^[^\n]{20,200}$/);
  });

  it.each(Object.entries(HAND_COUNTS))('%s compiles to %i trainable parameters, as derived by hand', (name, count) => {
    const { model } = compileOrThrow(loadTemplate(name));
    expect(model.countParams()).toBe(count);
  });

  it.each(Object.keys(TEMPLATES))('%s survives model.save + tf.loadLayersModel with identical predictions', async (name) => {
    const compiled = compileOrThrow(loadTemplate(name));
    let saved: tf.io.ModelArtifacts | undefined;
    await compiled.model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    if (!saved) throw new Error('nothing saved');
    const reloaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
    const { tensors } = randomBatch(compiled, 5, 3);
    expect(predictAll(reloaded, tensors)).toEqual(predictAll(compiled.model, tensors));
    expect(reloaded.outputNames).toEqual(compiled.model.outputNames);
    expect(reloaded.inputNames).toEqual(compiled.model.inputNames);
  });

  it('gives the same initial weights for the same seed, different ones for another', () => {
    const a = compileOrThrow(loadTemplate('mmoe'), 5).model.getLayer('experts_dense_0').getWeights()[0]?.dataSync();
    const b = compileOrThrow(loadTemplate('mmoe'), 5).model.getLayer('experts_dense_0').getWeights()[0]?.dataSync();
    const c = compileOrThrow(loadTemplate('mmoe'), 6).model.getLayer('experts_dense_0').getWeights()[0]?.dataSync();
    expect(Array.from(a ?? [])).toEqual(Array.from(b ?? []));
    expect(Array.from(a ?? [])).not.toEqual(Array.from(c ?? []));
  });
});

describe('graph JSON Schema', () => {
  it('in schema/ is the one generated from the validator (run `npm run schema` after changing kinds)', () => {
    const onDisk = JSON.parse(readFileSync(new URL('../../schema/graph.schema.json', import.meta.url), 'utf8')) as unknown;
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(graphJsonSchema())));
  });

  it('types the params of each kind, with bounds, defaults and descriptions', () => {
    const text = JSON.stringify(graphJsonSchema());
    expect(text).toContain('"const":"expert"');
    expect(text).toContain('How many experts of this architecture.');
    expect(text).toMatch(/"count":\{[^}]*"maximum":256/);
  });
});
