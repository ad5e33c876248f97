import type { AnyNodeKind } from '../../app/nodes/define-node';

/** Filters kinds by every typed word, over title, kind id, category and description; keeps palette order. */
export function searchKinds(kinds: readonly AnyNodeKind[], query: string): AnyNodeKind[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return kinds.filter((k) => {
    const text = `${k.title} ${k.kind} ${k.category} ${k.description}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}
