import { parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import type { z } from 'zod';
import { diagnostic, type Diagnostic } from '../validate/diagnostics';
import { migrate } from './migrations';
import { GRAPH_FORMAT, GRAPH_VERSION, GraphDocumentSchema, edgeIdOf, type Graph } from './schema';

export interface LoadResult {
  /** Present when the document could be read; it may still have validation errors. */
  graph?: Graph;
  diagnostics: Diagnostic[];
  /** Finds the 1-based line/column of a JSON path in the source text, for later diagnostics. */
  locate(path: (string | number)[]): { line: number; column: number } | undefined;
}

/**
 * How deep arrays and objects may nest. The JSON parser, the tree walk below, zod and structured
 * clone all recurse once per level, and Node's default stack overflows somewhere between 2,000 and
 * 3,000 levels of jsonc-parser alone (less in a worker): the cap keeps a wide margin under that.
 * A real graph nests 6 levels (document, nodes, node, params, a list, a value).
 */
export const MAX_NESTING = 256;

/** Parse → migrate → check structure → normalise. Never throws on user input. */
export function loadGraph(source: string, counter?: { lookups: number }): LoadResult {
  // Editors on Windows save UTF-8 with a byte order mark; it is not part of the JSON, and no editor
  // counts it as a column, so positions are taken in the text after it.
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  const position = lineIndex(text);
  const tooDeep = deepestOpening(text, MAX_NESTING);
  if (tooDeep !== undefined) {
    const where = position(tooDeep);
    const message = `arrays and objects nested more than ${MAX_NESTING} deep at line ${where.line}, column ${where.column}; Towerflow reads at most ${MAX_NESTING} levels`;
    return { diagnostics: [diagnostic('E_NOT_JSON', message, where)], locate: () => undefined };
  }
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  const find = tree ? pathFinder(tree, counter) : () => undefined;
  const locate = (path: (string | number)[]) => {
    const node = find(path);
    return node ? position(node.offset) : undefined;
  };
  // Every diagnostic of a file has a place: one that names no field is put on the document's start.
  const fail = (d: Diagnostic): LoadResult => ({ diagnostics: [placed(d, locate)], locate });

  const firstError = errors[0];
  if (firstError || !tree) {
    const where = firstError ? position(firstError.offset) : { line: 1, column: 1 };
    const what = firstError ? describeParseError(printParseErrorCode(firstError.error)) : 'the file is empty';
    return fail(diagnostic('E_NOT_JSON', `not valid JSON: ${what} at line ${where.line}, column ${where.column}`, where));
  }
  const doc = jsonValue(tree);
  if (!isRecord(doc) || doc.format !== GRAPH_FORMAT) {
    const got = !isRecord(doc)
      ? `a JSON ${doc === null ? 'null' : Array.isArray(doc) ? 'array' : typeof doc}`
      : doc.format === undefined
        ? 'an object without a "format" field'
        : JSON.stringify(doc.format);
    return fail(
      diagnostic('E_NOT_A_GRAPH', `not a Towerflow graph: expected "format": "${GRAPH_FORMAT}", got ${got}`, {
        path: 'format',
        ...(locate(['format']) ?? { line: 1, column: 1 }),
      }),
    );
  }
  const migrated = migrate(doc);
  if (!migrated.ok) {
    return fail(diagnostic('E_UNKNOWN_VERSION', migrated.message, { path: 'version', ...locate(['version']) }));
  }
  const parsed = GraphDocumentSchema.safeParse(migrated.doc);
  if (!parsed.success) {
    return { diagnostics: parsed.error.issues.map((issue) => placed(schemaDiagnostic(issue, locate), locate)), locate };
  }
  return { graph: normalise(parsed.data, migrated.doc), diagnostics: [], locate };
}

/**
 * Fills in optional fields. Params are taken from the raw document rather than zod's copy, which
 * drops a "__proto__" key; keeping it lets the validator warn about it instead of losing it silently.
 */
function normalise(doc: z.output<typeof GraphDocumentSchema>, raw: Record<string, unknown>): Graph {
  const rawNodes = Array.isArray(raw.nodes) ? (raw.nodes as unknown[]) : [];
  return {
    format: GRAPH_FORMAT,
    version: GRAPH_VERSION,
    name: doc.name,
    ...(doc.description !== undefined ? { description: doc.description } : {}),
    nodes: doc.nodes.map((n, i) => ({
      id: n.id,
      kind: n.kind,
      label: n.label ?? n.id,
      params: rawParams(rawNodes[i]) ?? n.params ?? {},
      position: n.position ?? { x: 0, y: 0 },
    })),
    edges: doc.edges.map((e) => ({ id: e.id ?? edgeIdOf(e.source, e.target), source: e.source, target: e.target })),
  };
}

/** `d`, on the line of its own field where it has one, else on the first line of the document. */
export function placed(d: Diagnostic, locate: LoadResult['locate']): Diagnostic {
  if (d.line !== undefined && d.column !== undefined) return d;
  return { ...d, ...(locate([]) ?? { line: 1, column: 1 }) };
}

/**
 * A lookup of JSON paths in the parse tree. jsonc-parser's findNodeAtLocation scans an object's
 * properties for every lookup, so placing one diagnostic per key of a 40,000-key params object was
 * quadratic (52 s); here each object's keys are indexed once, on its first lookup, and every later
 * lookup is one map read per path segment. `counter` counts property visits, for the tests.
 */
function pathFinder(root: JsonNode, counter?: { lookups: number }): (path: (string | number)[]) => JsonNode | undefined {
  const indexes = new WeakMap<JsonNode, Map<string, JsonNode>>();
  const keysOf = (node: JsonNode): Map<string, JsonNode> => {
    let keys = indexes.get(node);
    if (!keys) {
      keys = new Map();
      for (const prop of node.children ?? []) {
        if (counter) counter.lookups++;
        const [key, value] = prop.children ?? [];
        // The first of two equal keys, as findNodeAtLocation finds it.
        if (key && value && !keys.has(String(key.value))) keys.set(String(key.value), value);
      }
      indexes.set(node, keys);
    }
    return keys;
  };
  return (path) => {
    let node: JsonNode | undefined = root;
    for (const segment of path) {
      if (!node) return undefined;
      if (typeof segment === 'string') node = node.type === 'object' ? keysOf(node).get(segment) : undefined;
      else node = node.type === 'array' ? node.children?.[segment] : undefined;
    }
    return node;
  };
}

function rawParams(node: unknown): Record<string, unknown> | undefined {
  return isRecord(node) && isRecord(node.params) ? node.params : undefined;
}

function schemaDiagnostic(issue: z.core.$ZodIssue, locate: LoadResult['locate']): Diagnostic {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const dotted = formatPath(path);
  const where = locate(path) ?? locate(path.slice(0, -1));
  const missing = issue.code === 'invalid_type' && issue.input === undefined;
  const message = missing ? `the field "${String(path.at(-1))}" is missing (expected ${issue.expected === 'array' ? 'an array' : `a ${issue.expected}`})` : issue.message;
  return diagnostic('E_SCHEMA', `${dotted || 'document'}: ${message}`, { path: dotted, ...where });
}

export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  return lineIndex(text)(offset);
}

/**
 * Offset → 1-based line and column, from one pass over the text: every diagnostic of a file is
 * placed by a binary search, so placing many costs no more than reading the file once.
 */
export function lineIndex(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    const at = Math.max(0, Math.min(offset, text.length));
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] as number) <= at) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - (starts[low] as number) + 1 };
  };
}

/**
 * The offset of the first `[` or `{` that opens a level deeper than `limit`, or undefined. One
 * loop, no recursion, skipping strings: it runs before the (recursive) parser ever sees the text.
 */
function deepestOpening(text: string, limit: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character, a quote included
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return i;
    } else if (c === 0x5d || c === 0x7d) depth = Math.max(0, depth - 1);
  }
  return undefined;
}

const PARSE_ERROR_WORDS: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'property name expected',
  ValueExpected: 'value expected',
  ColonExpected: '":" expected',
  CommaExpected: '"," expected',
  CloseBraceExpected: '"}" expected',
  CloseBracketExpected: '"]" expected',
  EndOfFileExpected: 'text after the end of the document',
  InvalidCommentToken: 'comments are not allowed',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in string',
};

const describeParseError = (code: string): string => PARSE_ERROR_WORDS[code] ?? code;

function jsonValue(node: JsonNode): unknown {
  switch (node.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const prop of node.children ?? []) {
        const [key, value] = prop.children ?? [];
        // defineProperty, not assignment: a key "__proto__" in a file must stay a plain key.
        if (key && value) Object.defineProperty(out, String(key.value), { value: jsonValue(value), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 'array':
      return (node.children ?? []).map(jsonValue);
    default:
      return node.value;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
