import type { EdgeChange, NodeChange } from '@xyflow/react';
import type { Position } from '../../app/graph/schema';
import type { Size } from '../state/editor-store';

/**
 * React Flow reports what the user did as changes; these are sorted here into what the core and the
 * UI store do with them: moves become a `moveNodes` command, selection and measured sizes are UI
 * state, removals become `removeNodes` / `removeEdges`. Nothing is applied to React Flow's arrays.
 */
export interface NodeChangePlan {
  moves: { id: string; position: Position }[];
  /** Ids whose selected flag changed, with the new value. */
  selection: Map<string, boolean>;
  measured: Record<string, Size>;
  removed: string[];
}

export function planNodeChanges(changes: readonly NodeChange[]): NodeChangePlan {
  const plan: NodeChangePlan = { moves: [], selection: new Map(), measured: {}, removed: [] };
  for (const change of changes) {
    switch (change.type) {
      case 'position':
        // Whole pixels keep saved files tidy and diffs small.
        if (change.position) plan.moves.push({ id: change.id, position: { x: Math.round(change.position.x), y: Math.round(change.position.y) } });
        break;
      case 'select':
        plan.selection.set(change.id, change.selected);
        break;
      case 'dimensions':
        if (change.dimensions) plan.measured[change.id] = { width: change.dimensions.width, height: change.dimensions.height };
        break;
      case 'remove':
        plan.removed.push(change.id);
        break;
      default:
        break; // 'add' and 'replace' only come from our own projection
    }
  }
  return plan;
}

export interface EdgeChangePlan {
  selection: Map<string, boolean>;
  removed: string[];
}

export function planEdgeChanges(changes: readonly EdgeChange[]): EdgeChangePlan {
  const plan: EdgeChangePlan = { selection: new Map(), removed: [] };
  for (const change of changes) {
    if (change.type === 'select') plan.selection.set(change.id, change.selected);
    else if (change.type === 'remove') plan.removed.push(change.id);
  }
  return plan;
}

/** Applies selected-flag changes to a list of selected ids, keeping order stable. */
export function applySelection(current: readonly string[], changes: ReadonlyMap<string, boolean>): string[] {
  if (changes.size === 0) return [...current];
  const next = current.filter((id) => changes.get(id) !== false);
  for (const [id, selected] of changes) if (selected && !next.includes(id)) next.push(id);
  return next;
}
