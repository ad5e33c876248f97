type Found = { path: string; reason?: undefined } | { path?: undefined; reason: string };
export declare function electronBinary(): Found;
export declare function fetchElectronBinary(options?: { timeoutMs?: number }): Found;
