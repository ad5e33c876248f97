export declare function electronBinary(): { path: string; reason?: undefined } | { path?: undefined; reason: string };
