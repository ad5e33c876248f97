/** Every failure crosses the boundary as a value with a code and a message, never as a stack trace. */
export interface HostError {
  error: { code: string; message: string; where?: string };
}

export type HostResult<T> = T | HostError;

/** A host answer as the renderer handles it: a value, or the error, never thrown. */
export type HostOutcome<T> = { ok: true; value: T } | { ok: false; error: HostError['error'] };

export const isHostError = (value: unknown): value is HostError =>
  typeof value === 'object' && value !== null && 'error' in value && typeof (value as HostError).error?.message === 'string';

export const hostError = (code: string, message: string, where?: string): HostError => ({ error: { code, message, ...(where ? { where } : {}) } });

/** Stable codes of host errors (data and graph problems keep their own codes). */
export const HOST_ERROR_CODES = {
  E_IPC_CHANNEL: 'No such channel.',
  E_IPC_ARGUMENT: 'The request does not match the channel schema.',
  E_UNAUTHORIZED: 'Web mode: the token is missing or wrong (HTTP 401).',
  E_FORBIDDEN: 'Web mode: the request was not addressed to a loopback host name, or came from a page other than the app’s own (its Origin; HTTP 403).',
  E_METHOD: 'Web mode: /api/<channel> takes POST only (HTTP 405).',
  E_TOO_LARGE: 'Web mode: the request body is over its limit (HTTP 413); or, for train:prepare, the encoded data is too large to train in the window.',
  E_IPC_SENDER: 'Desktop: the call did not come from the app’s own page.',
  E_OUTSIDE_WORKSPACE: 'Web mode: the path leaves the workspace folder.',
  E_NO_DIALOG: 'Web mode has no native dialogs: pass a path (browse with files:list).',
  E_NOT_FOUND: 'The file or folder does not exist.',
  E_IO: 'Reading or writing a file failed.',
  E_NOT_A_GRAPH: 'The file is not a graph the loader can read.',
  E_BAD_BINDING: 'The dataset binding is invalid.',
  E_DATA: 'The data file cannot be read as a table.',
  E_UNKNOWN_TEMPLATE: 'No template has that id.',
  E_GRAPH_INVALID: 'The graph has errors, so it cannot be compiled or trained.',
  E_ENGINE: 'The requested training engine is not available here.',
  E_RUN_NOT_ACTIVE: 'train:stop, train:report or train:complete for a run that is not training (here, or in the window).',
  E_TRAINER_WINDOW: 'Desktop app: the hidden trainer window did not open, or a window asked for a job that is not its own.',
  E_BAD_MODEL: 'train:complete: the model does not match the run’s graph, or its weight data does not match its specs.',
  E_NOT_A_RUN: 'The folder is not a run folder, or its model is missing.',
  E_INSPECT: 'The run has nothing to show in that view (no gates, or no attention).',
  E_EXISTS: 'The target already exists.',
  E_WOULD_OVERWRITE: 'graph:save / code:save / code:torch: a file is there already; ask the user, then send the request again with overwrite: true.',
  E_WONT_REPLACE: 'graph:save / code:save / code:torch: the file there is not one this save may replace (a graph replaces only a Towerflow graph, code only a .ts file Towerflow generated, a PyTorch package only one whose model.py Towerflow generated), overwrite or not.',
  E_BAD_NAME: 'The file name cannot be used: an upload name with folders or odd characters, or code saved under a name that is not .ts.',
  E_NOT_A_FILE: 'The path names a folder, a named pipe, a device or a socket where a regular file is needed (nothing was read or written).',
  E_HARD_LINK: 'Web mode: the file has more than one hard link; another name of it may lie outside the workspace, so it is not read.',
  E_TOO_DEEP: 'The request nests arrays or objects deeper than a request may (HTTP 400 in web mode).',
  E_BUSY: 'train:start: as many trainings as the host runs at once are running already; start this one when one ends.',
  E_INTERNAL: 'A bug in the host; the message says what failed.',
} as const;

export type HostErrorCode = keyof typeof HOST_ERROR_CODES;
