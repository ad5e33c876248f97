/**
 * Diagnostics are the one way the core reports a problem with user input (graph files, params,
 * wiring). They are data, not exceptions: the canvas turns them into badges, the CLI into lines.
 * Codes are stable; tests and the UI key on them, so never rename one.
 */
export const DIAGNOSTIC_CODES = {
  // document level
  E_NOT_JSON: 'The file is not valid JSON.',
  E_NOT_A_GRAPH: 'The JSON is not a Towerflow graph document.',
  E_UNKNOWN_VERSION: 'The graph format version is not one this build reads.',
  E_SCHEMA: 'A field of the graph document has the wrong type or is missing.',
  // nodes
  E_DUPLICATE_ID: 'Two nodes (or two edges) share an id.',
  E_UNKNOWN_KIND: 'A node has a kind this build does not know.',
  E_PARAM_TYPE: 'A node parameter has the wrong type.',
  E_PARAM_RANGE: 'A node parameter is out of its allowed range.',
  W_PARAM_UNKNOWN: 'A node has a parameter its kind does not declare; it is ignored.',
  W_UNUSED_NODE: 'A node does not feed any output.',
  // edges and ports
  E_EDGE_MISSING_NODE: 'An edge points at a node that does not exist.',
  E_EDGE_MISSING_PORT: 'An edge points at a port the node does not have.',
  E_DUPLICATE_EDGE: 'The same connection appears twice.',
  E_PORT_MULTIPLE: 'A port that takes one connection has several.',
  E_PORT_REQUIRED: 'A required input port is not connected.',
  E_PORT_TYPE: 'An edge connects ports of different tensor types.',
  E_CYCLE: 'The graph has a cycle.',
  // shapes
  E_SHAPE_MISMATCH: 'Tensor shapes do not fit together.',
  E_SHAPE_RANK: 'A tensor has the wrong number of dimensions for this port.',
  E_GATE_WIDTH: 'The experts mixed by a gate have different widths.',
  E_TABLE_MISMATCH: 'Embedding nodes share a table but disagree on its size.',
  // graph level
  E_NO_OUTPUT: 'The graph has no output node.',
  E_OUTPUT_UNREACHABLE: 'An output has no path from any input.',
  E_DUPLICATE_OUTPUT_NAME: 'Two outputs have the same prediction name.',
  W_OUTPUT_RENAMED: 'An output name is not an identifier, so its predictions go by a safe form of it.',
  E_LABEL_LEAK: 'An output is trained on a column that is also a model input.',
  E_DUPLICATE_INPUT_COLUMN: 'Two input nodes read the same column.',
  W_NOTHING_TO_TRAIN: 'No output has a label, so there is nothing to train.',
  E_GRAPH_TOO_DEEP: 'The graph chains more nodes one after another than a model can be built from.',
  E_MODEL_TOO_LARGE: 'The model has more parameters than Towerflow can build and save.',
  W_MODEL_LARGE: 'The model is large enough that it may not train in a window (GPU engine, wasm).',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
export type Severity = 'error' | 'warning';

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  nodeId?: string;
  portId?: string;
  edgeId?: string;
  /** JSON path inside the document, e.g. `nodes[3].params.units`. */
  path?: string;
  /** 1-based position in the source file, when the problem has one. */
  line?: number;
  column?: number;
}

export type DiagnosticPlace = Omit<Diagnostic, 'code' | 'severity' | 'message'>;

export function diagnostic(code: DiagnosticCode, message: string, place: DiagnosticPlace = {}): Diagnostic {
  return { code, severity: code.startsWith('W_') ? 'warning' : 'error', message, ...place };
}

export const hasErrors = (diagnostics: readonly Diagnostic[]): boolean =>
  diagnostics.some((d) => d.severity === 'error');

/** One line per diagnostic, `file:line:col: error E_CODE [node x]: message`, for terminals and logs. */
export function formatDiagnostic(d: Diagnostic, file?: string): string {
  const where = [file, d.line, d.line !== undefined ? d.column : undefined].filter((p) => p !== undefined).join(':');
  const place = [
    d.nodeId !== undefined ? `node ${d.nodeId}` : undefined,
    d.portId !== undefined ? `port ${d.portId}` : undefined,
    d.edgeId !== undefined ? `edge ${d.edgeId}` : undefined,
    d.path !== undefined && d.nodeId === undefined && d.edgeId === undefined ? d.path : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return `${where ? `${where}: ` : ''}${d.severity} ${d.code}${place ? ` [${place}]` : ''}: ${d.message}`;
}
