// A worker thread does not inherit its parent's TypeScript loader (tsx), and Node 20 ignores
// `--import` in a worker's execArgv: register tsx here, then run the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./replica-worker.ts');
