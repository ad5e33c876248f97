import type { z } from 'zod';
import type { AnyNodeKind } from '../nodes/define-node';
import type { GraphNode } from '../graph/schema';
import { formatPath } from '../graph/load';
import { diagnostic, type Diagnostic } from './diagnostics';

export interface ParamResult {
  params?: Record<string, unknown>;
  diagnostics: Diagnostic[];
}

/** Resolves a node's params against its kind: defaults filled in, bounds checked, unknown keys flagged. */
export function resolveParams(kind: AnyNodeKind, node: GraphNode, nodeIndex: number): ParamResult {
  const diagnostics: Diagnostic[] = [];
  const declared = new Set(Object.keys(kind.params.shape));
  for (const key of Object.keys(node.params)) {
    if (!declared.has(key)) {
      diagnostics.push(
        diagnostic('W_PARAM_UNKNOWN', `${describeNode(node)}: "${kind.kind}" has no param "${key}"; it is ignored (known: ${[...declared].join(', ') || 'none'})`, {
          nodeId: node.id,
          path: `nodes[${nodeIndex}].params.${key}`,
        }),
      );
    }
  }
  const schema: z.ZodObject = kind.params;
  const parsed = schema.safeParse(node.params);
  if (parsed.success) return { params: parsed.data as Record<string, unknown>, diagnostics };
  for (const issue of parsed.error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const name = formatPath(path);
    const received = valueAt(node.params, path);
    const code = issue.code === 'too_small' || issue.code === 'too_big' || issue.code === 'invalid_value' ? 'E_PARAM_RANGE' : 'E_PARAM_TYPE';
    diagnostics.push(
      diagnostic(code, `${describeNode(node)}: param "${name}" ${requirement(issue)}, got ${show(received)}`, {
        nodeId: node.id,
        path: `nodes[${nodeIndex}].params${name.startsWith('[') ? '' : '.'}${name}`,
      }),
    );
  }
  return { diagnostics };
}

export const describeNode = (node: GraphNode): string => (node.label && node.label !== node.id ? `"${node.label}" (${node.id})` : `"${node.id}"`);

function requirement(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small': {
      const bound = String(issue.minimum);
      if (issue.origin === 'array') return `needs at least ${bound} item${bound === '1' ? '' : 's'}`;
      if (issue.origin === 'string') return `needs at least ${bound} character${bound === '1' ? '' : 's'}`;
      return `must be ${issue.inclusive ? '≥' : '>'} ${bound}`;
    }
    case 'too_big': {
      const bound = String(issue.maximum);
      if (issue.origin === 'array') return `takes at most ${bound} items`;
      if (issue.origin === 'string') return `takes at most ${bound} characters`;
      return `must be ${issue.inclusive ? '≤' : '<'} ${bound}`;
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_type':
      return issue.expected === 'int' ? 'must be an integer' : `must be ${article(issue.expected)}`;
    default:
      return issue.message.toLowerCase().startsWith('invalid') ? `is invalid (${issue.message})` : issue.message;
  }
}

const article = (word: string): string => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let value: unknown = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function') return `a ${typeof value}`;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = `a ${typeof value}`;
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
