import * as tf from '@tensorflow/tfjs';
import { adamUpdate, hasAdamKernel } from '../engine/adam-kernel';

/**
 * Adam over all variables at once. tfjs's Adam updates each variable with its own ~14 kernels, so a
 * model's update costs 14 × its variable count in kernel launches: on wasm and cpu, where a
 * launch costs microseconds of JavaScript and the tensors are small, that was the largest share of
 * a training step (616 of 1,534 kernels per census MMoE step with its 44 variables).
 *
 * Here the gradients and the values are laid end to end in one flat vector, the moments are flat
 * vectors too, and the update runs once: 3 kernels per variable (flatten twice, reshape back) plus
 * a fixed 17. The arithmetic is tfjs's Adam operation for operation, element by element, so the
 * weights come out bit for bit the same (tests/unit/train/grouped-adam.test.ts).
 *
 * On wasm and cpu the same arithmetic runs as one kernel (app/engine/adam-kernel.ts), which reads
 * the gradients and values where they lie: no flattening, no split, one launch instead of ~60 for
 * census MMoE. Other backends (webgl, webgpu) run it op by op, where each kernel is a GPU pass.
 */
/** tfjs-core's NamedTensor, which the tfjs bundle does not re-export. */
type NamedTensor = { name: string; tensor: tf.Tensor };

export class GroupedAdam extends tf.Optimizer {
  static get className(): string {
    return 'TowerflowGroupedAdam';
  }

  private readonly accBeta1: tf.Variable;
  private readonly accBeta2: tf.Variable;
  private readonly epsilon: number;
  /** Flat moments, for the variables (by name, in order) they were made for. */
  private state?: { names: string[]; m: tf.Variable; v: tf.Variable };

  /**
   * `opByOp`: always the op-by-op update, even where the single kernel is registered (the tests
   * compare the two).
   */
  constructor(
    private learningRate: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    epsilon?: number,
    private readonly options: { opByOp?: boolean } = {},
  ) {
    super();
    this.epsilon = epsilon ?? tf.backend().epsilon();
    this.accBeta1 = tf.tidy(() => tf.scalar(beta1).variable(false));
    this.accBeta2 = tf.tidy(() => tf.scalar(beta2).variable(false));
  }

  /** The rate of the next updates (a learning-rate schedule sets it before each step); the moments are kept. */
  setLearningRate(learningRate: number): void {
    this.learningRate = learningRate;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const named = Array.isArray(variableGradients) ? variableGradients : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    const present = named.filter((g): g is NamedTensor => g.tensor != null);
    if (present.length === 0) return;
    const variables = present.map(({ name }) => {
      const variable = tf.engine().registeredVariables[name];
      if (!variable) throw new Error(`Bug: no variable named ${name} to update`);
      return variable;
    });
    const names = present.map((g) => g.name);
    const sizes = variables.map((v) => v.size);
    const state = this.stateFor(names, sizes.reduce((a, b) => a + b, 0));
    const gradients = present.map((g) => g.tensor);
    const fused = !this.options.opByOp && hasAdamKernel() && [...gradients, ...variables].every((t) => t.dtype === 'float32');
    if (fused) this.applyFused(gradients, variables, state);
    else this.applyOpByOp(gradients, variables, sizes, state);
    this.incrementIterations();
  }

  /** The update as one kernel (wasm, cpu); the outputs are new data, assigned (no kernel) to the variables. */
  private applyFused(gradients: tf.Tensor[], variables: tf.Variable[], state: { m: tf.Variable; v: tf.Variable }): void {
    const out = adamUpdate(gradients, variables, { m: state.m, v: state.v, accBeta1: this.accBeta1, accBeta2: this.accBeta2 }, {
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      learningRate: this.learningRate,
    });
    variables.forEach((variable, i) => variable.assign(out.values[i] as tf.Tensor));
    state.m.assign(out.m);
    state.v.assign(out.v);
    this.accBeta1.assign(out.accBeta1);
    this.accBeta2.assign(out.accBeta2);
    // The variables now hold the data; these handles go.
    tf.dispose([...out.values, out.m, out.v, out.accBeta1, out.accBeta2]);
  }

  /** The update kernel by kernel on one flat vector: tfjs's Adam, operation for operation. */
  private applyOpByOp(gradients: tf.Tensor[], variables: tf.Variable[], sizes: number[], state: { m: tf.Variable; v: tf.Variable }): void {
    tf.tidy(() => {
      const flat = (tensors: tf.Tensor[]) => (tensors.length === 1 ? tf.reshape(tensors[0] as tf.Tensor, [-1]) : tf.concat(tensors.map((t) => tf.reshape(t, [-1]))));
      const gradient = flat(gradients);
      const value = flat(variables);
      const oneMinusAccBeta1 = tf.sub(1, this.accBeta1);
      const oneMinusAccBeta2 = tf.sub(1, this.accBeta2);
      const newFirstMoment = tf.add(tf.mul(state.m, this.beta1), tf.mul(gradient, 1 - this.beta1));
      const newSecondMoment = tf.add(tf.mul(state.v, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
      const biasCorrectedFirstMoment = tf.div(newFirstMoment, oneMinusAccBeta1);
      const biasCorrectedSecondMoment = tf.div(newSecondMoment, oneMinusAccBeta2);
      state.m.assign(newFirstMoment);
      state.v.assign(newSecondMoment);
      const newValue = tf.add(tf.mul(tf.div(biasCorrectedFirstMoment, tf.add(tf.sqrt(biasCorrectedSecondMoment), this.epsilon)), -this.learningRate), value);
      const pieces = variables.length === 1 ? [newValue] : tf.split(newValue, sizes);
      variables.forEach((variable, i) => variable.assign(tf.reshape(pieces[i] as tf.Tensor, variable.shape)));
      this.accBeta1.assign(tf.mul(this.accBeta1, this.beta1));
      this.accBeta2.assign(tf.mul(this.accBeta2, this.beta2));
    });
  }

  /** The flat moments; made (zero) on the first step, and again if the set of variables changes. */
  private stateFor(names: string[], total: number): { names: string[]; m: tf.Variable; v: tf.Variable } {
    const same = this.state && this.state.names.length === names.length && this.state.names.every((n, i) => n === names[i]);
    if (this.state && same) return this.state;
    if (this.state) tf.dispose([this.state.m, this.state.v]);
    this.state = { names, m: tf.tidy(() => tf.zeros([total]).variable(false)), v: tf.tidy(() => tf.zeros([total]).variable(false)) };
    return this.state;
  }

  override dispose(): void {
    tf.dispose([this.accBeta1, this.accBeta2, ...(this.state ? [this.state.m, this.state.v] : [])]);
    this.state = undefined;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}
