/**
 * Turning user text (labels, names, columns, descriptions) into pieces of TypeScript source that
 * cannot change the meaning of the code around them: string literals, comment text, identifiers.
 * Everything a user typed reaches the generated file through one of these functions.
 */

/**
 * Characters escaped even where they are legal: line separators (older parsers end a line there) and
 * bidirectional controls, which can make code read differently from how it runs ("Trojan Source").
 */
const INVISIBLE = /[\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const unicodeEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * A string literal for any string. JSON's escaping is valid TypeScript: quotes, backslashes, control
 * characters and lone surrogates come out escaped; the invisible characters above are escaped too.
 */
export const str = (value: string): string => JSON.stringify(value).replace(INVISIBLE, unicodeEscape);

/** A number literal (params are finite, bounded by their schemas). */
export function num(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`Bug: non-finite number ${value} in generated code`);
  return Object.is(value, -0) ? '0' : String(value);
}

/** A literal for plain data (numbers, strings, booleans, arrays of them). */
export function literal(value: unknown): string {
  if (typeof value === 'string') return str(value);
  if (typeof value === 'number') return num(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  throw new Error(`Bug: cannot write ${typeof value} as a literal`);
}

/**
 * An object literal from already-written values, in the given key order; undefined values are left
 * out. Keys are fixed by the emitters (tfjs option names) or quoted when they come from the graph.
 */
export function obj(entries: Record<string, string | undefined>): string {
  const parts = Object.entries(entries)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([key, value]) => `${isPlainKey(key) ? key : str(key)}: ${value}`);
  return `{ ${parts.join(', ')} }`;
}

const isPlainKey = (key: string): boolean => /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key);

/**
 * Text that is safe inside a `//` line or a `/* … *\/` block comment: one line (every JavaScript
 * line terminator becomes a space), no `*\/` to end the comment early, no control or bidirectional
 * characters, no lone surrogates, no type-checker directive, and bounded in length.
 */
export function commentText(raw: string, maxLength = 200): string {
  const oneLine = raw
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
    .replace(INVISIBLE, '')
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(/\*\//g, '*\\/')
    // `// @ts-ignore …` or `// @ts-expect-error …` would be a directive to the type checker.
    .replace(/@(?=ts-)/gi, '@ ')
    .trim();
  // Cut on a code point, never inside a surrogate pair.
  const chars = [...oneLine];
  return chars.length > maxLength ? `${chars.slice(0, maxLength - 1).join('')}…` : oneLine;
}

/** Words that cannot (or should not) name a variable in a module: reserved words and TypeScript keywords. */
const RESERVED_WORDS = `break case catch class const continue debugger default delete do else enum export extends false
  finally for function if import in instanceof new null return super switch this throw true try typeof var void while with
  yield let static implements interface package private protected public await async arguments eval undefined NaN Infinity
  any boolean number string symbol bigint object never unknown type as declare namespace module readonly abstract
  constructor get set of require global keyof infer is unique asserts override satisfies accessor out from prototype
  __proto__`.split(/\s+/);

/** Globals the generated code (or a reader) relies on; a local of that name would shadow them. */
const GLOBALS = `Array Boolean Error JSON Math Number Object Promise Record Partial Readonly String Symbol Map Set
  console globalThis window self document process`.split(/\s+/);

export const RESERVED_IDENTIFIERS: ReadonlySet<string> = new Set([...RESERVED_WORDS, ...GLOBALS]);

/**
 * `income_50k_tower` → `income50kTower`. Input is a safe name ([a-z0-9_], see compile/names). Digits
 * on both sides of a joint keep their underscore: `experts_level_1_0` → `expertsLevel1_0`, not `…Level10`.
 */
export function camelCase(safe: string): string {
  const parts = safe.split('_').filter(Boolean);
  return parts
    .map((p, i) => {
      if (i === 0) return p;
      const joint = /[0-9]$/.test(parts[i - 1] ?? '') && /^[0-9]/.test(p) ? '_' : '';
      return joint + p.charAt(0).toUpperCase() + p.slice(1);
    })
    .join('');
}

const MAX_IDENTIFIER = 48;

/**
 * Hands out identifiers for one generated module: ASCII, never a reserved word or a name the module
 * already uses, unique (`tower`, `tower2`, …). One scope for the whole module, so a local can never
 * shadow a module-level name.
 */
export class IdentifierScope {
  private readonly taken = new Set<string>(RESERVED_IDENTIFIERS);

  constructor(moduleNames: Iterable<string> = []) {
    for (const name of moduleNames) this.taken.add(name);
  }

  /** A fresh identifier from a safe name (`experts_0_dense_0` → `experts0Dense0`). */
  fresh(safe: string, fallback = 'value'): string {
    let base = camelCase(safe).replace(/[^A-Za-z0-9_$]/g, '').slice(0, MAX_IDENTIFIER) || fallback;
    if (/^[0-9]/.test(base)) base = `n${base}`;
    // `tower` → `tower2`, but `n1` → `n1_2`: a bare digit after digits would read as one number.
    const joint = /[0-9]$/.test(base) ? '_' : '';
    let name = base;
    for (let n = 2; this.taken.has(name); n++) name = `${base}${joint}${n}`;
    this.taken.add(name);
    return name;
  }
}

/** `layer.apply(inputs) as tf.SymbolicTensor`: tfjs types `apply` loosely, the functional API always gives symbolic tensors. */
export const applied = (layer: string, inputs: string | readonly string[]): string =>
  `${layer}.apply(${typeof inputs === 'string' ? inputs : `[${inputs.join(', ')}]`}) as tf.SymbolicTensor`;
