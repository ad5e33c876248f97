/**
 * Records keyed by names users choose (columns, outputs, binding keys). A plain object answers
 * "constructor" or "toString" with Object.prototype's functions and turns "__proto__" into a
 * prototype change, so such records have no prototype, and lookups in records that came from
 * elsewhere (JSON, other modules) accept own entries only.
 */
export function nameRecord<T>(entries: Iterable<readonly [string, T]> = []): Record<string, T> {
  const record = Object.create(null) as Record<string, T>;
  for (const [name, value] of entries) record[name] = value;
  return record;
}

/** `record[name]` when the record itself has that entry; never an inherited property. */
export function own<T>(record: Readonly<Record<string, T>> | undefined, name: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, name) ? record[name] : undefined;
}
