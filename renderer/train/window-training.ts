import * as tf from '@tensorflow/tfjs';
import type { TrainCompleteSchema, TrainPrepared } from '../../app/host/contract';
import { compileGraph, type CompiledGraph } from '../../app/compile/to-tfjs';
import { chooseBrowserBackend, describeBrowserChoice, type BrowserBackendChoice, type BrowserBackendPreference } from '../../app/engine/backend-browser';
import { firstLine } from '../../app/engine/initialise';
import type { Graph } from '../../app/graph/schema';
import { artifactsToWire, epochMetricsToWire, isWireError, splitFromWire, type ModelArtifactsWire, type WireError } from '../../app/host/wire';
import type { EncodedSplit } from '../../app/train/encoded';
import type { RunEvent } from '../../app/train/run';
import { trainedOutputs, trainModel } from '../../app/train/session';
import type { z } from 'zod';

/**
 * Engine "browser", the window's half: from what train:prepare answered to what train:complete
 * takes. Picks the GPU backend, decodes the host's encoded splits, compiles the graph with the
 * run's seed, runs the same training loop as a Node run (app/train/session.ts) with the same
 * options, emitting the same RunEvents, and saves the model as tfjs artifacts for the host to
 * write. Failures are values (`ok: false` with the train:complete report that says why).
 *
 * No DOM and no Node APIs: it runs in the training Web Worker (training.worker.ts) and in Node
 * tests on the cpu backend.
 */
type CompleteRequest = z.input<typeof TrainCompleteSchema>;
export type TrainedReport = Extract<CompleteRequest, { outcome: 'trained' }>;
export type FailedReport = Extract<CompleteRequest, { outcome: 'failed' }>;
type EpochRecordWire = TrainedReport['history'][number];

export interface WindowTrainingInput {
  graph: Graph;
  prepared: TrainPrepared;
  prefer: BrowserBackendPreference;
}

export type WindowTrainingOutcome = { ok: true; report: TrainedReport } | { ok: false; report: FailedReport };

export interface WindowTrainingHooks {
  onEvent(event: RunEvent): void;
  signal?: AbortSignal;
  /** Default: WebGPU, else WebGL. Tests pass one that selects cpu. */
  chooseBackend?: (prefer: BrowserBackendPreference) => Promise<BrowserBackendChoice | { error: string }>;
}

export async function trainInWindow(input: WindowTrainingInput, hooks: WindowTrainingHooks): Promise<WindowTrainingOutcome> {
  const { prepared } = input;
  const history: EpochRecordWire[] = [];
  const fail = (message: string): WindowTrainingOutcome => ({
    ok: false,
    report: { outcome: 'failed', runId: prepared.runId, message, ...(history.length ? { history } : {}) },
  });

  const choice = await (hooks.chooseBackend ?? chooseBrowserBackend)(input.prefer);
  if ('error' in choice) return fail(choice.error);
  const backendNote = describeBrowserChoice(choice);
  hooks.onEvent({ type: 'stage', message: backendNote });

  const data = decodeData(prepared);
  if (isWireError(data)) return fail(`the data from the host cannot be read: ${data.message}`);
  const compiledResult = compileGraph(input.graph, { seed: prepared.seed });
  if (!compiledResult.ok) return fail(`the graph does not compile: ${compiledResult.diagnostics.find((d) => d.severity === 'error')?.message ?? 'unknown error'}`);
  const compiled = compiledResult.compiled;
  try {
    const mismatch = specMismatch(compiled, prepared);
    if (mismatch) return fail(`the graph changed since the host prepared the data (${mismatch}); start the run again`);
    hooks.onEvent({ type: 'started', dir: prepared.dir, backend: choice.name, trainRows: prepared.trainRows, validRows: prepared.validRows, parameters: prepared.parameters, backendNote });
    const result = await trainModel(compiled.model, compiled, data, prepared.options, {
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onEvent: (event) => {
        hooks.onEvent(event);
        if (event.type !== 'epoch') return;
        history.push({ epoch: event.epoch, train: epochMetricsToWire(event.train), ...(event.valid ? { valid: epochMetricsToWire(event.valid) } : {}), improved: event.improved, ...(event.learningRate !== undefined ? { learningRate: event.learningRate } : {}) });
      },
    });
    const artifacts = await saveArtifacts(compiled.model);
    if (isWireError(artifacts)) return fail(`the trained model cannot be saved: ${artifacts.message}`);
    const { stopReason, message, bestEpoch, samplesPerSecond } = result;
    return { ok: true, report: { outcome: 'trained', runId: prepared.runId, backend: choice.name, backendNote, history, result: { stopReason, message, bestEpoch, samplesPerSecond }, artifacts } };
  } catch (error) {
    // A lost GPU context or an out-of-memory error surfaces as an exception from tfjs.
    return fail(`training in the window stopped: ${firstLine(error)}`);
  } finally {
    compiled.model.dispose();
  }
}

function decodeData(prepared: TrainPrepared): { train: EncodedSplit; valid?: EncodedSplit } | WireError {
  const expect = { inputs: prepared.inputs, labels: trainedOutputs(prepared.outputs).map((o) => o.name) };
  const train = splitFromWire(prepared.data.train, expect, 'training split');
  if (isWireError(train)) return train;
  if (!prepared.data.valid) return { train };
  const valid = splitFromWire(prepared.data.valid, expect, 'validation split');
  return isWireError(valid) ? valid : { train, valid };
}

/** The window compiled the same model as the host, or says what differs (the graph was edited meanwhile). */
function specMismatch(compiled: CompiledGraph, prepared: TrainPrepared): string | undefined {
  const inputs = (specs: readonly { name: string; dtype: string; shape: number[] }[]) => specs.map((s) => `${s.name}:${s.dtype}[${s.shape.join(',')}]`).join(' ');
  const outputs = (specs: readonly { name: string; label?: string; loss: string }[]) => specs.map((s) => `${s.name}:${s.label ?? ''}:${s.loss}`).join(' ');
  if (inputs(compiled.inputs) !== inputs(prepared.inputs)) return `model inputs ${inputs(compiled.inputs)}, prepared for ${inputs(prepared.inputs)}`;
  if (outputs(compiled.outputs) !== outputs(prepared.outputs)) return `model outputs ${outputs(compiled.outputs)}, prepared for ${outputs(prepared.outputs)}`;
  const parameters = compiled.model.countParams();
  if (parameters !== prepared.parameters) return `${parameters} parameters, prepared for ${prepared.parameters}`;
  return undefined;
}

/** model.save into memory: the artifacts a file handler would get, for the host's fileSaveHandler. */
async function saveArtifacts(model: tf.LayersModel): Promise<ModelArtifactsWire | WireError> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (!saved) return { code: 'E_WIRE', message: 'model.save produced nothing' };
  return artifactsToWire(saved);
}
