/**
 * Which pages count as the app: the renderer served at towerflow://app (main/protocol.ts) and,
 * during `electron-vite dev`, its dev server. Free of Electron so tests can check it.
 */
export const APP_SCHEME = 'towerflow';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

export function allowedOrigins(devServerUrl?: string): string[] {
  return [APP_ORIGIN, ...(devServerUrl ? [originOf(devServerUrl)] : [])];
}

/** scheme://host[:port] — URL.origin is "null" for custom schemes such as towerflow://. */
export function originOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '';
  }
}

export function isAppUrl(url: string | undefined, origins: readonly string[]): boolean {
  return url !== undefined && origins.includes(originOf(url));
}
