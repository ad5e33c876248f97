import type { AnyNodeKind } from '../nodes/define-node';
import { registry } from '../nodes/registry';
import { formatShape, type TensorInfo } from '../nodes/tensor';
import { formatBytes, modelSize, type NodeSize } from './model-size';
import type { Validation } from './validate';

/**
 * A model summary as Keras's `model.summary()` prints one: per node its output shape and its own
 * parameters, with totals. It reads the kinds' `weights` declarations through modelSize, so it needs
 * no tfjs (the renderer's inspector shows it as typed) and its total is the compiled model's
 * `countParams()` (tests/unit/model-summary.test.ts holds every template to that).
 */
export interface SummaryRow {
  nodeId: string;
  kind: string;
  label: string;
  /** The shapes it outputs, per port (batch left out, as Keras writes `(None, …)`); an output node's is its prediction's. Empty where inference stopped before it. */
  shapes: { port: string; shape: number[] }[];
  parameters: number;
  trainable: number;
  /** Why its count is not what it looks like: a table counted at another node, a node not built. */
  note?: string;
}

export interface ModelSummaryTable {
  rows: SummaryRow[];
  parameters: number;
  trainable: number;
  /** Float32 bytes of all parameters. */
  bytes: number;
  /** False when the graph has errors: rows past them have no shape, and the count leaves their weights out. */
  complete: boolean;
}

/** The summary of a validated graph, its nodes in the order data flows through them (then any left over, as in a cycle). */
export function modelSummary(validation: Validation, kinds: ReadonlyMap<string, AnyNodeKind> = registry): ModelSummaryTable {
  const size = modelSize(validation);
  const sizes = new Map<string, NodeSize>(size.nodes.map((n) => [n.nodeId, n]));
  const unused = new Set(validation.diagnostics.filter((d) => d.code === 'W_UNUSED_NODE').map((d) => d.nodeId));
  const ordered = [...validation.order, ...[...validation.structure.nodes.keys()].filter((id) => !validation.order.includes(id))];
  const label = (id: string) => validation.structure.nodes.get(id)?.node.label ?? id;
  const rows = ordered.flatMap((id): SummaryRow[] => {
    const entry = validation.structure.nodes.get(id);
    if (!entry) return [];
    const { node } = entry;
    const kind = kinds.get(node.kind);
    const own = sizes.get(id);
    const notes = [
      ...(own?.sharedTables ?? []).map((t) => `table "${t.name}" counted at ${JSON.stringify(label(t.nodeId))}`),
      ...(unused.has(id) ? ['not built: feeds no output'] : []),
    ];
    return [
      {
        nodeId: id,
        kind: node.kind,
        label: node.label,
        shapes: shapesOf(validation, id, kind),
        parameters: own?.parameters ?? 0,
        trainable: own?.trainable ?? 0,
        ...(notes.length ? { note: notes.join('; ') } : {}),
      },
    ];
  });
  return { rows, parameters: size.parameters, trainable: size.trainable, bytes: size.bytes, complete: validation.ok };
}

function shapesOf(validation: Validation, id: string, kind: AnyNodeKind | undefined): SummaryRow['shapes'] {
  const outputs = validation.outputs.get(id);
  if (kind && kind.outputs.length > 0) {
    return kind.outputs.flatMap((port) => {
      const tensor: TensorInfo | undefined = outputs?.[port.id];
      return tensor ? [{ port: port.id, shape: tensor.shape }] : [];
    });
  }
  // A node without outputs (Output) ends the model: what it outputs is what reaches it.
  return [...(validation.structure.incoming.get(id) ?? [])].flatMap(([port, edges]) =>
    edges.flatMap((edge) => {
      const tensor = validation.edgeTensors.get(edge.id);
      return tensor ? [{ port, shape: tensor.shape }] : [];
    }),
  );
}

/** `[16]`, or `out [16], weights [3]` for a node with several outputs; `?` where inference did not reach it. */
export function formatShapes(shapes: SummaryRow['shapes']): string {
  if (shapes.length === 0) return '?';
  if (shapes.length === 1) return formatShape(shapes[0]?.shape ?? []);
  return shapes.map((s) => `${s.port} ${formatShape(s.shape)}`).join(', ');
}

const count = (n: number): string => n.toLocaleString('en-US');

/** The summary as a plain-text table for a terminal, Keras-style: one row per node, then the totals. */
export function formatSummary(summary: ModelSummaryTable): string {
  const header = ['Node', 'Kind', 'Label', 'Output shape', 'Params', 'Trainable'];
  const body = summary.rows.map((r) => [r.nodeId, r.kind, r.label, formatShapes(r.shapes), count(r.parameters), count(r.trainable)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  // Counts right-aligned, as numbers are read by their last digits.
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i >= 4 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = '─'.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
  const notes = summary.rows.filter((r) => r.note).map((r) => `  ${r.nodeId}: ${r.note}`);
  return [
    line(header),
    rule,
    ...body.map(line),
    rule,
    `Total params: ${count(summary.parameters)} (${formatBytes(summary.bytes)})`,
    `Trainable params: ${count(summary.trainable)}`,
    `Non-trainable params: ${count(summary.parameters - summary.trainable)}`,
    ...(summary.complete ? [] : ['(incomplete: the graph has errors; nodes past them are not counted)']),
    ...(notes.length ? ['Notes:', ...notes] : []),
  ].join('\n');
}
