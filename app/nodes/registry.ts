import type { AnyNodeKind } from './define-node';
import { inputSparse } from './input-sparse';
import { inputDense } from './input-dense';
import { inputSequence } from './input-sequence';
import { embedding } from './embedding';
import { concat } from './concat';
import { mlp } from './mlp';
import { expert } from './expert';
import { gate } from './gate';
import { tower } from './tower';
import { attention } from './attention';
import { pooling } from './pooling';
import { multiply } from './multiply';
import { output } from './output';

export function createRegistry(kinds: readonly AnyNodeKind[]): ReadonlyMap<string, AnyNodeKind> {
  const registry = new Map<string, AnyNodeKind>();
  for (const kind of kinds) {
    if (registry.has(kind.kind)) throw new Error(`Bug: node kind "${kind.kind}" is registered twice`);
    registry.set(kind.kind, kind);
  }
  return registry;
}

/** Every node kind, in palette order. */
export const NODE_KINDS: readonly AnyNodeKind[] = [
  inputSparse,
  inputDense,
  inputSequence,
  embedding,
  concat,
  mlp,
  expert,
  gate,
  tower,
  attention,
  pooling,
  multiply,
  output,
];

export const registry = createRegistry(NODE_KINDS);

export const isInputKind = (kind: string): boolean => kind.startsWith('input.');
