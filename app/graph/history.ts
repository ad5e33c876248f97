import { applyPatches, invertPatches, type CommandResult, type Edit } from './commands';
import type { Graph } from './schema';

/**
 * Undo/redo over edits, in the core so the canvas, menus and tests share one history. A gesture
 * (a drag) applies many edits live but enters history once: `beginGesture` … `endGesture` squashes
 * everything in between into a single step.
 */
export class History {
  private past: Edit[] = [];
  private future: Edit[] = [];
  private gesture: { label: string; patches: Edit['patches'] } | undefined;
  /** Increments on every change; a saved document remembers the revision it was saved at. */
  revision = 0;

  constructor(
    private current: Graph,
    private readonly limit = 500,
  ) {}

  get graph(): Graph {
    return this.current;
  }

  get canUndo(): boolean {
    return this.past.length > 0 && !this.gesture;
  }

  get canRedo(): boolean {
    return this.future.length > 0 && !this.gesture;
  }

  get undoLabel(): string | undefined {
    return this.past.at(-1)?.label;
  }

  get redoLabel(): string | undefined {
    return this.future.at(-1)?.label;
  }

  /** Applies a command's result; returns false (and changes nothing) when the command refused. */
  apply(result: CommandResult): boolean {
    if (!result.ok) return false;
    this.current = result.graph;
    this.revision++;
    if (this.gesture) {
      this.gesture.patches.push(...result.edit.patches);
      return true;
    }
    this.push(result.edit);
    return true;
  }

  beginGesture(label: string): void {
    if (!this.gesture) this.gesture = { label, patches: [] };
  }

  endGesture(): void {
    const gesture = this.gesture;
    this.gesture = undefined;
    if (gesture && gesture.patches.length > 0) this.push({ label: gesture.label, patches: gesture.patches });
  }

  undo(): boolean {
    const edit = this.canUndo ? this.past.pop() : undefined;
    if (!edit) return false;
    this.current = applyPatches(this.current, invertPatches(edit.patches));
    this.future.push(edit);
    this.revision++;
    return true;
  }

  redo(): boolean {
    const edit = this.canRedo ? this.future.pop() : undefined;
    if (!edit) return false;
    this.current = applyPatches(this.current, edit.patches);
    this.past.push(edit);
    this.revision++;
    return true;
  }

  /** Starts over on another document (open, new): history does not cross documents. */
  reset(graph: Graph): void {
    this.current = graph;
    this.past = [];
    this.future = [];
    this.gesture = undefined;
    this.revision++;
  }

  private push(edit: Edit): void {
    this.past.push(edit);
    if (this.past.length > this.limit) this.past.shift();
    this.future = [];
  }
}
