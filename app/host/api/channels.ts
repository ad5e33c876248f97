import { z } from 'zod';
import { hostError, type HostError } from './errors';
import { graph, path } from './fields';
import { RUNS_EXPERIMENT_CHANNELS } from './runs-experiments-schema';
import { TrainCompleteSchema, TrainPrepareSchema, TrainReportSchema, TrainRequestSchema } from './train-schemas';

/** The table of channels: each one's request schema. No channel outside it can be called. */
export const HOST_CHANNELS = {
  'app:info': z.strictObject({}),
  'templates:list': z.strictObject({}),
  'templates:open': z.strictObject({ id: z.string().min(1).max(100) }),
  /** Without a path, the desktop app asks with a native dialog; web mode needs one. */
  'graph:open': z.strictObject({ path: path.optional() }),
  /**
   * `overwrite`: an existing file at `path` is replaced only when the request says so (the UI asks
   * the user first: E_WOULD_OVERWRITE). A path chosen in the native Save dialog counts as confirmed,
   * the dialog asked. Even with it, only a Towerflow graph is replaced (E_WONT_REPLACE).
   */
  'graph:save': z.strictObject({ graph, path: path.optional(), overwrite: z.boolean().default(false) }),
  'recent:list': z.strictObject({}),
  'graph:validate': z.strictObject({ graph: z.unknown() }),
  'graph:summary': z.strictObject({ graph }),
  'graph:code': z.strictObject({ graph }),
  /** The file must be named .ts; `overwrite` as graph:save's, and only a .ts file Towerflow generated is replaced. */
  'code:save': z.strictObject({ code: z.string().max(10_000_000), path: path.optional(), overwrite: z.boolean().default(false) }),
  /**
   * The graph as a PyTorch package (model.py, data.py, predict.py, train.py, to_towerflow.py, …)
   * written into the folder `dir` (made if missing; without it, the desktop app asks with a folder
   * dialog). Files already there are replaced only with `overwrite` (E_WOULD_OVERWRITE, `where`
   * the folder), and only in a folder whose model.py an earlier export wrote (E_WONT_REPLACE).
   */
  'code:torch': z.strictObject({ graph, dir: path.optional(), overwrite: z.boolean().default(false) }),
  'files:list': z.strictObject({ dir: path.optional() }),
  'files:pick': z.strictObject({ purpose: z.enum(['data', 'graph', 'binding']) }),
  /** With a graph, the answer also shows which data column feeds each graph column and label. */
  'dataset:inspect': z.strictObject({ path, binding: z.unknown().optional(), rows: z.number().int().min(1).max(200).default(20), graph: graph.optional() }),
  'train:start': TrainRequestSchema,
  'train:stop': z.strictObject({ runId: z.string().min(1).max(200) }),
  'train:prepare': TrainPrepareSchema,
  'train:complete': TrainCompleteSchema,
  'train:report': TrainReportSchema,
  /** The desktop app's hidden trainer window asks what to train: the job train:start made for it. */
  'trainer:job': z.strictObject({ job: z.string().min(1).max(200) }),
  'runs:list': z.strictObject({}),
  'runs:open': z.strictObject({ dir: path }),
  'runs:inspect': z.strictObject({ dir: path, view: z.enum(['gates', 'attention']), data: path.optional(), row: z.number().int().min(0).optional() }),
  'runs:export': z.strictObject({ dir: path, to: path.optional() }),
  /** runs:evaluate, runs:meta, runs:delete, runs:compare (api/runs-experiments-schema.ts). */
  ...RUNS_EXPERIMENT_CHANNELS,
  'recovery:write': z.strictObject({ graph: z.unknown(), path: path.optional() }),
  'recovery:read': z.strictObject({}),
  'recovery:clear': z.strictObject({}),
} as const;

export type HostChannel = keyof typeof HOST_CHANNELS;
export type HostRequest<C extends HostChannel> = z.input<(typeof HOST_CHANNELS)[C]>;
export type HostRequestParsed<C extends HostChannel> = z.output<(typeof HOST_CHANNELS)[C]>;

/** Validates a request for a channel; the preload and the web server both call this first. */
export function parseRequest<C extends HostChannel>(channel: C, request: unknown): HostRequestParsed<C> | HostError {
  const schema = HOST_CHANNELS[channel];
  if (!schema) return hostError('E_IPC_CHANNEL', `unknown channel "${String(channel)}"`);
  const parsed = schema.safeParse(request ?? {});
  if (parsed.success) return parsed.data as HostRequestParsed<C>;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'request';
  return hostError('E_IPC_ARGUMENT', `${channel}: ${where}: ${issue?.message ?? 'invalid request'}`);
}

export const isHostChannel = (value: string): value is HostChannel => Object.prototype.hasOwnProperty.call(HOST_CHANNELS, value);
