/**
 * The package's README.md, the one file besides model.py that depends on the graph. The fixed files
 * (data.py, predict.py, train.py, to_towerflow.py, torchrec_tables.py, requirements.txt) are real
 * files beside this one, carried into the bundles by sources.generated.ts (scripts/python-sources.ts).
 */

/** The package's README.md: what each file is and the commands. Graph text goes in as inert Markdown code. */
export function packageReadme(graphName: string, outputs: readonly string[], towerflowVersion: string): string {
  const fence = (text: string) => text.replace(/[`\r\n]/g, ' ');
  return `# ${fence(graphName) || 'Untitled model'} in PyTorch

Exported by Towerflow ${fence(towerflowVersion)}: the same model as the graph, to train on many processes and
machines with PyTorch. Outputs: ${outputs.map((o) => `\`${fence(o)}\``).join(', ')}.

| file | what |
| --- | --- |
| \`model.py\` | the model as an \`nn.Module\`: one submodule per tfjs layer, named as in Towerflow; \`load_tfjs_weights\` loads a Towerflow run's weights |
| \`data.py\` | reads CSV/TSV (gzip or not) or Parquet with a dataset binding and encodes it by Towerflow's rules, a column at a time with pyarrow, with a run's \`encoders.json\` or fitted here |
| \`fit_encoders.py\` | the encoders fitted once on all training files (streamed), for every process of a cluster: \`--encoders\` |
| \`batches.py\` | each training process's part of the data, and its batches (a DataLoader) |
| \`predict.py\` | predictions for a file, from a Towerflow run or a \`train.py\` checkpoint: the columns \`towerflow predict\` writes |
| \`train.py\` | training on one process or under \`torchrun\` (DistributedDataParallel) |
| \`torchrec_tables.py\` | \`train.py --torchrec\`: the embedding tables sharded by TorchRec |
| \`to_towerflow.py\` | a \`train.py\` checkpoint written back as a Towerflow run folder (\`graph.json\` and \`tfjs_model.json\`: the graph and its tfjs topology) |

\`\`\`sh
python -m venv .venv && .venv/bin/pip install -r requirements.txt

# Predict with a model trained in Towerflow (the same numbers as towerflow predict, within 1e-5)
python predict.py --run <towerflow run folder> --data new.csv --out predictions.csv

# Train on one process
python train.py --data train.csv --valid valid.csv --binding binding.json --epochs 5 --batch-size 256 --out out/

# Several processes share encoders fitted once
python fit_encoders.py --data train.csv --binding binding.json --out encoders.json

# Train on 4 processes of this machine (gloo on CPU, nccl on GPUs: one process per GPU)
torchrun --nproc-per-node 4 train.py --data train.csv --encoders encoders.json --valid valid.csv --binding binding.json --out out/

# Train on 2 machines of 8 GPUs each: run this on both, with --node-rank 0 and 1
torchrun --nnodes 2 --node-rank 0 --nproc-per-node 8 --rdzv-backend c10d --rdzv-endpoint <host of rank 0>:29500 \\
    train.py --data train.csv --encoders encoders.json --valid valid.csv --binding binding.json --out out/

# Or each machine with its own files (here part-0*.csv.gz on one, part-1*.csv.gz on the other)
torchrun --nnodes 2 --node-rank 0 ... train.py --data 'part-0*.csv.gz' --data-layout per-node --encoders encoders.json ...

python predict.py --checkpoint out/ --data new.csv --out predictions.csv

# Back to Towerflow: a run folder that towerflow predict and the app's Runs view open
python to_towerflow.py --checkpoint out/ --out <Towerflow workspace>/runs/<name>
\`\`\`

\`--batch-size\` is per process: K processes step on K × B rows. Each process reads only its part of
\`--data\` (files or globs): whole files where there are at least as many files as processes, else a
share of each file's rows (plain CSV by bytes, gzip by row number, Parquet by row groups);
\`--data-layout per-node\` when each machine has its own files. Parts may differ in size: every process
takes as many steps per epoch as the one with the fewest rows. Several processes need \`--encoders\`
(\`fit_encoders.py\`, or \`<run>/encoders.json\` to train on exactly the ids and scaling of a Towerflow
run); \`--workers N\` gathers batches in N DataLoader processes (default 0 on CPU, 2 on CUDA); \`--loss-weights task=w,…\` overrides the graph's loss weights. Process 0
writes \`metrics.csv\`, \`checkpoint-N.pt\` per epoch, \`model.pt\`, \`encoders.json\`, \`binding.json\` and
\`summary.json\` into \`--out\`.

Training as in Towerflow: \`--lr-schedule constant|cosine|step\` with \`--warmup-steps W\`, \`--min-lr m\`,
\`--lr-step-every k\`, \`--lr-step-factor g\` (global step t from 0: t < W runs at lr·(t+1)/W; cosine
m + ½(lr−m)(1+cos(π(t−W)/max(1,T−W))); step lr·g^floor(epoch/k)); \`--clip-norm X\` (the global norm of
all gradients); \`--early-stopping METRIC --patience N\` and \`--best-metric METRIC\` (\`loss\`,
\`<task>.auc\`, \`mean.gauc\`, …): model.pt is always the best epoch's weights, picked by early
stopping's metric, else \`--best-metric\`, else the validation loss, as in Towerflow (summary.json's
\`bestEpoch\`; \`checkpoint-<epoch>.pt\` keeps each epoch's); \`--init-from <out>\` (the tensors matching by name and shape, a fresh
optimizer). Outputs that are a sigmoid's probability train on their logit (BCEWithLogitsLoss); a
product of probabilities (ESMM's CTCVR) on the probability, clamped as tfjs clamps it. GAUC is
measured where the binding names a \`group\` column. \`--amp\` trains in mixed precision on CUDA
(bfloat16 where the GPU has it). \`--resume out/\` continues from the last checkpoint (weights,
optimizer, epoch, step and random state: bit for bit the uninterrupted run on CPU). A failure is one
line with a code, and exit status 1; under \`torchrun\` it names the rank and the others stop too.

\`--torchrec\` (under \`torchrun\`) shards every embedding table with TorchRec (\`torchrec_tables.py\`),
table-wise or row-wise as its planner chooses (the plan is printed and kept in summary.json): a
node's private tables as an \`EmbeddingBagCollection\`, single and shared tables (DIN's item table) as
an \`EmbeddingCollection\` looked up once per step; the rest of the model is data-parallel (Adam). The
tables train with fused Adam on CUDA; fbgemm has no fused Adam on CPU, so there they train with
Adagrad (it says so). \`model.pt\` gathers them back under model.py's names. TorchRec needs
\`pip install torchrec --no-deps\` with a matching \`fbgemm-gpu\` (\`fbgemm-gpu-cpu\` on CPU) and torch: torch
2.14.1 + fbgemm-gpu-cpu 1.9.0 + torchrec 1.9.2 load together. Where TorchRec does not load, \`--torchrec\`
says why and trains with \`nn.Embedding\` under DDP.
`;
}
