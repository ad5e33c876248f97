/// <reference types="vite/client" />

/** package.json "version", put in by vite.config.ts (the generated code's header names it). */
declare const __TOWERFLOW_VERSION__: string;
