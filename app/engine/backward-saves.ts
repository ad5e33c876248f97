import type * as tf from '@tensorflow/tfjs';
import { engineInternals, sameData } from './backend-internals';

/**
 * The tensors a kernel keeps for its gradient, kept without a kernel launch.
 *
 * While recording a tape, tfjs-core (4.22) keeps each input or output a gradient will need by
 * `engine.clone(t)`: an Identity kernel launch plus two tape nodes, for every saved tensor of every
 * kernel. In census MMoE's training step that was 104 of 357 kernel launches (found with
 * .scratch-style stack counting; bench/profile-step.ts counts them), each costing the engine's
 * dispatch, profiling and tape bookkeeping although the backends' Identity only adds a reference
 * to the same data (on wasm since app/engine/wasm-kernels.ts's sharedIdentity).
 *
 * Here a saved tensor is a second Tensor on the same data: the backend's reference count goes up
 * (exactly what the cpu, webgl and webgpu Identity kernels do) and the engine tracks the new
 * tensor, so disposing it after backprop releases that reference as before. No value changes, so
 * weights are bit for bit those of the stock engine (tests/unit/engine/backward-saves.test.ts).
 *
 * The tape nodes the stock clone adds only matter for gradients of gradients (the saved tensor then
 * has to lead back to its source): when a tape is recorded inside another (gradientDepth > 1) the
 * stock clone runs.
 */
const STOCK = Symbol.for('towerflow.stockClone');
type Clone = (x: tf.Tensor) => tf.Tensor;
type PatchedEngine = ReturnType<typeof engineInternals> & { [STOCK]?: Clone };

/** Installs the kernel-free saves on tfjs's engine, once per engine. */
export function installBackwardSaves(): void {
  const engine = engineInternals() as PatchedEngine;
  if (engine[STOCK]) return;
  const stockClone = engine.clone.bind(engine);
  engine[STOCK] = stockClone;
  engine.clone = (x: tf.Tensor): tf.Tensor => (engine.state.gradientDepth > 1 ? undefined : sameData(x)) ?? stockClone(x);
}

/** Puts tfjs's own clone back (the tests compare against it). */
export function uninstallBackwardSaves(): void {
  const engine = engineInternals() as PatchedEngine;
  const stock = engine[STOCK];
  if (!stock) return;
  engine.clone = stock;
  delete engine[STOCK];
}
