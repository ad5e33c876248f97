/**
 * Turning user text (labels, names, columns, descriptions) into pieces of Python source that cannot
 * change the meaning of the code around them: string literals, comment text, identifiers. Everything
 * a user typed reaches the generated package through one of these functions.
 */
import { commentText as tsCommentText, str as tsStr } from '../source';

/**
 * A Python string literal for any string. The TypeScript exporter's literal is JSON with the
 * invisible characters escaped, and every JSON string escape (\" \\ \/ \b \f \n \r \t \uXXXX, lone
 * surrogates included) means the same in a plain (not raw, not f-) Python string, so it serves both.
 */
export const pyStr = (value: string): string => tsStr(value);

/** A Python number literal (params are finite, bounded by their schemas). */
export function pyNum(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`Bug: non-finite number ${value} in generated Python`);
  return Object.is(value, -0) ? '0' : String(value);
}

export const pyBool = (value: boolean): string => (value ? 'True' : 'False');

/** A literal for plain data: numbers, strings, booleans, null, arrays and plain objects of them. */
export function pyLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return pyStr(value);
  if (typeof value === 'number') return pyNum(value);
  if (typeof value === 'boolean') return pyBool(value);
  if (Array.isArray(value)) return `[${value.map(pyLiteral).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyStr(k)}: ${pyLiteral(v)}`).join(', ')}}`;
  }
  throw new Error(`Bug: cannot write ${typeof value} as a Python literal`);
}

/**
 * Text safe in a `#` comment: one line, no control or bidirectional characters (the TypeScript rule),
 * and no directive a tool would obey: `# noqa` (ruff would hide findings), `# ruff:`, `# type:`,
 * `# fmt:`, `# pyright:`, `# mypy:`, `# pylint:`, `# isort:`. The encoding declaration (`coding:`)
 * only counts on the first two lines, which never hold user text.
 */
export function pyComment(raw: string, maxLength = 200): string {
  return tsCommentText(raw, maxLength)
    .replace(/noqa/gi, (m) => `${m.slice(0, 2)}-${m.slice(2)}`)
    .replace(/\b(ruff|type|fmt|pyright|mypy|pylint|isort|coding)(\s*)([:=])/gi, '$1$2 $3');
}

/** Python's keywords and soft keywords: never a name. */
export const PY_KEYWORDS = `False None True and as assert async await break class continue def del elif else except finally
  for from global if import in is lambda nonlocal not or pass raise return try while with yield match case type _`.split(/\s+/);

/** Builtins a reader (or the generated code) relies on: no local shadows them. */
export const PY_BUILTINS = `abs all any bin bool breakpoint bytearray bytes callable chr classmethod compile complex delattr dict
  dir divmod enumerate eval exec exit filter float format frozenset getattr globals hasattr hash help hex id input int
  isinstance issubclass iter len list locals map max memoryview min next object oct open ord pow print property quit
  range repr reversed round set setattr slice sorted staticmethod str sum super tuple vars zip self cls`.split(/\s+/);

/**
 * Attributes every torch.nn.Module has (torch 2.x): a layer stored as `self.<name>` must not replace
 * one (a node labelled "forward" or "eval" would break the module). The Python test checks this list
 * against dir(nn.Module) of the installed torch.
 */
export const NN_MODULE_ATTRIBUTES = `T_destination add_module apply bfloat16 buffers call_super_init children compile cpu cuda double
  dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter get_submodule half ipu
  load_state_dict modules mtia named_buffers named_children named_modules named_parameters parameters
  register_backward_hook register_buffer register_forward_hook register_forward_pre_hook register_full_backward_hook
  register_full_backward_pre_hook register_load_state_dict_post_hook register_load_state_dict_pre_hook register_module
  register_parameter register_state_dict_post_hook register_state_dict_pre_hook requires_grad_ set_extra_state
  set_submodule share_memory state_dict to to_empty train training type xpu zero_grad`.split(/\s+/);

const MAX_IDENTIFIER = 64;

/**
 * Hands out Python identifiers for one scope: ASCII [a-z0-9_] from a safe name (compile/names), never
 * a keyword or a taken name, unique (`tower`, `tower_2`, …). A taken name gets a trailing `_` first
 * (`class` → `class_`, `forward` → `forward_`), as PEP 8 suggests.
 */
export class PyScope {
  private readonly taken: Set<string>;

  constructor(reserved: Iterable<string> = []) {
    this.taken = new Set([...PY_KEYWORDS, ...reserved]);
  }

  fresh(safe: string, fallback = 'value'): string {
    let base = safe.replace(/[^A-Za-z0-9_]/g, '_').slice(0, MAX_IDENTIFIER) || fallback;
    if (/^[0-9]/.test(base)) base = `n_${base}`;
    if (this.taken.has(base)) base = `${base}_`;
    let name = base;
    for (let n = 2; this.taken.has(name); n++) name = `${base}${base.endsWith('_') ? '' : '_'}${n}`;
    this.taken.add(name);
    return name;
  }

  claim(name: string): void {
    this.taken.add(name);
  }
}
