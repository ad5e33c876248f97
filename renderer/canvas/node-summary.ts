import type { AnyNodeKind } from '../../app/nodes/define-node';
import type { GraphNode } from '../../app/graph/schema';
import { formatShape } from '../../app/nodes/tensor';

/**
 * The one line of key params a node card shows under its label, per kind: what a reader of the
 * model needs at a glance ("8 × [16] relu"), not every param (the inspector has those).
 */
type Params = Record<string, unknown>;

const list = (value: unknown): string => (Array.isArray(value) ? formatShape(value.filter((v): v is number => typeof v === 'number')) : '');
const count = (value: unknown, word: string): string => {
  const n = Array.isArray(value) ? value.length : 0;
  return `${n} ${word}${n === 1 ? '' : 's'}`;
};
const compact = (n: unknown): string => (typeof n === 'number' ? (n >= 1e6 ? `${+(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${+(n / 1e3).toFixed(1)}k` : String(n)) : '?');
const vocab = (p: Params): string => (p.vocabSize === 'auto' ? 'vocab auto' : `vocab ${compact(p.vocabSize)}`);
const join = (...parts: (string | false | undefined)[]) => parts.filter(Boolean).join(' · ');
const extras = (p: Params) => join(typeof p.dropout === 'number' && p.dropout > 0 && `dropout ${p.dropout}`, p.batchNorm === true && 'BN');

const SUMMARIES: Record<string, (p: Params) => string> = {
  'input.sparse': (p) => join(count(p.columns, 'column'), vocab(p)),
  'input.dense': (p) => count(p.columns, 'column'),
  'input.sequence': (p) => join(String(p.column), `len ${p.maxLength}`, vocab(p)),
  embedding: (p) => join(`dim ${p.dim}`, typeof p.table === 'string' && p.table !== '' && `table ${p.table}`),
  mlp: (p) => join(`${list(p.units)} ${p.activation}`, extras(p)),
  expert: (p) => join(`${p.count === 1 ? '' : `${p.count} × `}${list(p.units)} ${p.activation}`, extras(p)),
  gate: (p) => (p.useBias ? 'softmax, bias' : 'softmax'),
  tower: (p) => join(`${list(p.units)} ${p.activation} → ${p.head}`, extras(p)),
  attention: (p) => join(`MLP ${list(p.hidden)}`, p.softmax ? 'softmax' : 'unnormalised'),
  pooling: (p) => String(p.mode),
  output: (p) => join(typeof p.label === 'string' && p.label !== '' ? `label ${p.label}` : 'no label', p.loss === 'mse' ? 'MSE' : 'BCE', p.lossWeight !== 1 && `w ${p.lossWeight}`),
};

/** Params with the kind's defaults filled in; the raw params when they do not parse (validation says why). */
export function resolvedParams(node: GraphNode, kind: AnyNodeKind | undefined): Params {
  if (!kind) return node.params;
  const parsed = kind.params.safeParse(node.params);
  return parsed.success ? (parsed.data as Params) : { ...defaultsOf(kind), ...node.params };
}

export function defaultsOf(kind: AnyNodeKind): Params {
  const parsed = kind.params.safeParse({});
  return parsed.success ? (parsed.data as Params) : {};
}

export function nodeSummary(node: GraphNode, kind: AnyNodeKind | undefined): string {
  if (!kind) return `unknown kind "${node.kind}"`;
  const summarise = SUMMARIES[kind.kind];
  return summarise ? summarise(resolvedParams(node, kind)) : '';
}
