/**
 * Names users type (node labels, output names) become tfjs layer names and, later, identifiers in
 * generated code. They are reduced to [a-z0-9_], never empty, never starting with a digit.
 */
export function safeName(raw: string, fallback = 'node'): string {
  const ascii = raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  const name = ascii || fallback;
  if (/^[0-9]/.test(name)) return `n_${name}`;
  // tfjs looks layers up by name in plain objects while loading a saved model: a layer called
  // `constructor` (an Object.prototype member) trains but its model no longer reloads.
  return name in Object.prototype ? `${name}_` : name;
}

/**
 * The name an output's predictions go by (binding labels, summary.json, metrics, prediction
 * columns, exports): the name as typed where it is an identifier, so `Income` stays `Income`;
 * otherwise its safe name, which validation announces on the node (W_OUTPUT_RENAMED). Object
 * members (`toString`, `constructor`) are never kept: tfjs looks layer names up in plain objects.
 */
export function predictionName(raw: string): string {
  const typed = raw.trim();
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(typed) && !(typed in Object.prototype) ? typed : safeName(typed, 'output');
}

/** Hands out names unique within one model: the second `tower` becomes `tower_2`. */
export class NameScope {
  private readonly taken = new Set<string>();

  unique(raw: string, fallback?: string): string {
    const base = safeName(raw, fallback);
    let name = base;
    for (let n = 2; this.taken.has(name); n++) name = `${base}_${n}`;
    this.taken.add(name);
    return name;
  }

  /** `name` as given if it is free, else with the first free suffix `_2`, `_3` … */
  uniqueAsIs(name: string): string {
    let out = name;
    for (let n = 2; this.taken.has(out); n++) out = `${name}_${n}`;
    this.taken.add(out);
    return out;
  }

  /** Takes a name exactly as given (one handed out by another scope); taking it twice is a bug. */
  claim(name: string): void {
    if (this.taken.has(name)) throw new Error(`Bug: name "${name}" claimed twice`);
    this.taken.add(name);
  }

  has(name: string): boolean {
    return this.taken.has(name);
  }
}
