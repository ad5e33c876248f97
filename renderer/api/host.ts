import { isHostError, parseRequest, type HostChannel, type HostOutcome, type HostRequest, type HostResponse } from '../../app/host/contract';
import { transport } from './choose-transport';
import type { HostAccess } from './transport';

export type { HostOutcome } from '../../app/host/contract';

/**
 * Calls one channel. The request is checked against the channel's schema here first, so a bad
 * request fails in the renderer with the same message the host would give, and never crosses.
 * Failures come back as values (never thrown), for the caller to show.
 */
export async function callHost<C extends HostChannel>(channel: C, request: HostRequest<C>): Promise<HostOutcome<HostResponse<C>>> {
  const parsed = parseRequest(channel, request);
  if (isHostError(parsed)) return { ok: false, error: parsed.error };
  let answer: unknown;
  try {
    answer = await transport().call(channel, parsed);
  } catch (error) {
    // The Electron bridge rejects when the main process throws; show it like any host error.
    return { ok: false, error: { code: 'E_HOST', message: error instanceof Error ? error.message : String(error) } };
  }
  if (isHostError(answer)) return { ok: false, error: answer.error };
  return { ok: true, value: answer as HostResponse<C> };
}

export const onHostEvent = (listener: (event: string, payload: unknown) => void): (() => void) => transport().onEvent(listener);

export const hostMode = (): 'electron' | 'web' => transport().mode;

/** A dropped file as a path the host can read (see Transport.dropFile). */
export const dropFile = (file: File, onProgress?: (sent: number) => void) => transport().dropFile(file, onProgress);

/** Whether the page can reach the host (Transport.access): for the page shown instead of the app. */
export const hostAccess = (): HostAccess => transport().access();
export const onHostAccess = (listener: () => void): (() => void) => transport().onAccess(listener);
export type { HostAccess } from './transport';
