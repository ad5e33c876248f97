type Availability = { ok: true; reason?: undefined } | { ok: false; reason: string };
export declare function displayAvailable(env?: Record<string, string | undefined>, platform?: string): Availability;
export declare function browserOpener(url: string, env?: Record<string, string | undefined>, platform?: string): { command: string; args: string[] } | undefined;
export declare function ensureRendererBuilt(): void;
export declare function runWebMode(args: string[]): void;
