import * as tf from '@tensorflow/tfjs';
import { installBackwardSaves } from './backward-saves';
import { installLeanGradients } from './lean-gradients';

/**
 * Selecting a registered tfjs backend, shared by the Node choice (backend.ts) and the window's
 * (backend-browser.ts). Its own module so the window's bundle does not pull in the Node loaders.
 */
export async function initialiseBackend(tfjsName: string): Promise<true | string> {
  try {
    if (!(await tf.setBackend(tfjsName))) return 'registered but failed to initialise';
    await tf.ready();
    installBackwardSaves();
    installLeanGradients();
    return true;
  } catch (error) {
    return `failed to initialise (${firstLine(error)})`;
  }
}

export const firstLine = (error: unknown): string => String((error as Error)?.message ?? error).split('\n')[0] ?? 'unknown error';
