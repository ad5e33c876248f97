/**
 * Copies of the core's option lists (engine/backend.ts NODE_BACKENDS, train/session.ts OPTIMIZERS):
 * importing those modules would pull TensorFlow.js into the preload and renderer bundles. A test
 * (tests/unit/host/bridge.test.ts) keeps them equal.
 */
export const NODE_BACKENDS = ['webgpu', 'node-gpu', 'node', 'wasm', 'cpu'] as const;
export const OPTIMIZERS = ['adam', 'adagrad', 'sgd'] as const;
export const STOP_REASONS = ['completed', 'early-stopping', 'cancelled', 'diverged'] as const;
/** Where engine "browser" trains (app/engine/backend-browser.ts). */
export const BROWSER_BACKENDS = ['webgpu', 'webgl'] as const;

/** Web mode's limit on a request body; train:complete, which carries the weights, has its own. */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;
/**
 * train:complete's limit: about 190 MiB of weights once base64 adds its third. Larger models train
 * with engine "node", which writes its model itself. (Also well under V8's ~512 MiB string limit,
 * since the body is parsed as one string.)
 */
export const TRAIN_COMPLETE_MAX_BYTES = 256 * 1024 * 1024;
/** train:prepare refuses encoded data above this (bytes of the typed arrays; base64 adds a third). */
export const BROWSER_DATA_MAX_BYTES = 192 * 1024 * 1024;

export const requestByteLimit = (channel: string): number => (channel === 'train:complete' ? TRAIN_COMPLETE_MAX_BYTES : MAX_REQUEST_BYTES);
