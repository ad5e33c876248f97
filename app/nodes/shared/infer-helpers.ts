import type { InferContext } from '../define-node';
import { formatShape, type TensorInfo } from '../tensor';

/** The width of a vector input (`[n]`), or undefined after reporting why it is not one. */
export function vectorWidth(ctx: InferContext<unknown>, portId: string, tensor: TensorInfo): number | undefined {
  if (tensor.shape.length === 1 && tensor.shape[0] !== undefined) return tensor.shape[0];
  // A masked [L, d] is a sequence; an unmasked one is a stack of experts, which a gate turns into one vector.
  const hint = tensor.shape.length !== 2 ? '' : tensor.masked ? ' — pool the sequence first (attention or pooling node)' : ' — mix the stacked experts with a Gate node first';
  ctx.error('E_SHAPE_RANK', `port "${portId}" takes a vector [n] but receives ${formatShape(tensor.shape)}${hint}`, portId);
  return undefined;
}

/** The single tensor on a one-edge port (validation has already checked multiplicity). */
export const single = (ctx: InferContext<unknown>, portId: string): TensorInfo | undefined => ctx.inputs[portId]?.[0];
