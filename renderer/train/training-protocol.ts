import type { RunEvent } from '../../app/train/run';
import type { WindowTrainingInput, WindowTrainingOutcome } from './window-training';

/**
 * Messages between the window and its training worker (structured clone). The window sends
 * `start` once, then maybe `stop`; the worker sends events and ends with exactly one `outcome`.
 */
export type ToTrainingWorker = { type: 'start'; input: WindowTrainingInput } | { type: 'stop' };

export type FromTrainingWorker = { type: 'event'; event: RunEvent } | { type: 'outcome'; outcome: WindowTrainingOutcome };
