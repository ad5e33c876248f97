import { create } from 'zustand';
import type { RecentFile } from '../../app/host/contract';
import { callHost } from '../api/host';

/**
 * The recent files as the host lists them (newest first, each saying whether it still exists).
 * Read when the start screen or the Recent menu opens, and again after each open and save.
 */
interface RecentState {
  files?: RecentFile[];
  /** Why the list could not be read; the list is only a convenience, so this is shown, not toasted. */
  error?: string;
}

export const useRecent = create<RecentState>()(() => ({}));

let latest = 0;

/** Asks the host again. Answers can cross; only the newest request's answer is kept. */
export async function refreshRecent(): Promise<void> {
  const ticket = ++latest;
  const result = await callHost('recent:list', {});
  if (ticket !== latest) return;
  useRecent.setState(result.ok ? { files: result.value.files, error: undefined } : { error: result.error.message });
}
