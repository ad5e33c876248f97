import * as tf from '@tensorflow/tfjs';
import { mkdir, realpath } from 'node:fs/promises';
import { readFileChecked, writeFileAtomic } from '../io/files';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * The tfjs layers format on disk (model.json + weights.bin), the same files tfjs-node's
 * `file://` handler writes and `tf.loadLayersModel` reads, without needing tfjs-node.
 */
export function fileSaveHandler(dir: string): tf.io.IOHandler {
  return {
    save: async (artifacts) => {
      await mkdir(dir, { recursive: true });
      const weights = artifacts.weightData ? Buffer.from(tf.io.CompositeArrayBuffer.join(artifacts.weightData)) : Buffer.alloc(0);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      await atomicWrite(join(dir, 'weights.bin'), weights);
      await atomicWrite(join(dir, 'model.json'), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },
  };
}

/**
 * Loads what fileSaveHandler wrote. model.json is data, not authority: each weights path must name
 * a file inside `dir` (no absolute path, no `..`, no link leading out of the folder), so a model
 * folder cannot make the loader read a file elsewhere; and every file is opened as app/io/files.ts
 * opens user files (a named pipe is refused, not waited on).
 */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const modelJson = JSON.parse((await readChecked(join(dir, 'model.json'))).toString('utf8')) as tf.io.ModelJSON;
      const manifest = modelJson.weightsManifest ?? [];
      const realDir = await realpath(dir);
      const buffers: Buffer[] = [];
      for (const group of manifest) {
        for (const path of group.paths) buffers.push(await readChecked(await weightsFile(dir, realDir, path)));
      }
      const weightData = tf.io.CompositeArrayBuffer.join(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer));
      return {
        modelTopology: modelJson.modelTopology,
        weightSpecs: manifest.flatMap((group) => group.weights),
        weightData,
        format: modelJson.format,
        generatedBy: modelJson.generatedBy,
        convertedBy: modelJson.convertedBy,
      };
    },
  };
}

/** The file a weightsManifest path names, once it is known to lie inside the model folder; throws (tfjs's loader contract) otherwise. */
async function weightsFile(dir: string, realDir: string, path: unknown): Promise<string> {
  if (typeof path !== 'string' || path === '' || isAbsolute(path) || !isInside(dir, resolve(dir, path))) {
    throw new Error(`model.json names weights file ${JSON.stringify(path)}, which is not inside the model folder`);
  }
  const file = resolve(dir, path);
  const real = await realpath(file).catch(() => file);
  if (!isInside(realDir, real)) throw new Error(`model.json names weights file ${JSON.stringify(path)}, which leads out of the model folder`);
  return file;
}

async function readChecked(path: string): Promise<Buffer> {
  const bytes = await readFileChecked(path);
  if (!Buffer.isBuffer(bytes)) throw new Error(`${path}: ${bytes.message}`);
  return bytes;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** Atomic write (temp file, then rename); see app/io/files.ts. */
export const atomicWrite = writeFileAtomic;
