/**
 * A training replica (replicas.ts): a worker thread with its own tfjs backend and its own copy of
 * the model, compiled from the same graph and seed. Per step it takes the weights from the shared
 * buffer, computes one shard's loss and gradients (replica-step.ts), and answers them as
 * transferable arrays; it never updates the weights itself (the main thread's optimizer does).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compileGraph } from '../compile/to-tfjs';
import { chooseBackend } from '../engine/backend';
import { gatherInputs, gatherLabels } from './encoded';
import type { ReplicaJob, ReplicaReply, StepMessage } from './replica-pool';
import { computeShard, replicaModel } from './replica-step';

const job = workerData as ReplicaJob;
if (!parentPort) throw new Error('replica-worker.ts runs as a worker thread');
const port = parentPort;

const fail = (message: string) => port.postMessage({ type: 'error', message } satisfies ReplicaReply);

async function start(): Promise<void> {
  const backend = await chooseBackend(job.backend);
  if ('error' in backend) return fail(backend.error);
  const result = compileGraph(job.graph, { seed: job.seed });
  if (!result.ok) return fail(`the graph did not compile in a replica: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  const replica = replicaModel(result.compiled, job.lossWeights);
  let weights: Float32Array | undefined;
  let split: StepMessage['split'];

  port.on('message', (message: StepMessage) => {
    try {
      if (message.weights) weights = new Float32Array(message.weights);
      if (message.split) split = message.split;
      if (!weights) throw new Error('Bug: a step before the weights');
      const { shard } = message;
      let gathered: { xs: (Int32Array | Float32Array)[]; ys: Float32Array[] } = shard as Extract<typeof shard, { xs: unknown }>;
      if ('splitId' in shard) {
        if (split?.id !== shard.splitId) throw new Error(`Bug: a shard of split ${shard.splitId}, which this replica does not hold`);
        const source = split.split;
        gathered = { xs: gatherInputs(source, replica.compiled.inputs, shard.indices), ys: replica.tasks.map((t) => gatherLabels(source, t.name, shard.indices)) };
      }
      const answer = computeShard(replica, weights, { rows: shard.rows, scale: shard.scale, ...gathered });
      const reply: ReplicaReply = { type: 'result', result: answer };
      // Made by computeShard, so plain ArrayBuffers: moved, not copied.
      port.postMessage(reply, [answer.grads, answer.reached, answer.losses, answer.state].map((a) => a.buffer as ArrayBuffer));
    } catch (error) {
      fail(String((error as Error)?.stack ?? error));
    }
  });
  port.postMessage({ type: 'ready', sizes: result.compiled.model.weights.map((w) => w.read().size) } satisfies ReplicaReply);
}

start().catch((error: unknown) => fail(String((error as Error)?.stack ?? error)));
