import { useMemo, useState, type DragEvent } from 'react';
import { NODE_KINDS } from '../../app/nodes/registry';
import type { NodeCategory } from '../../app/nodes/define-node';
import { PALETTE_MIME } from '../canvas/Canvas';
import { addNodeAt } from '../canvas/edit-actions';
import { plainText } from './inline-code';
import { searchKinds } from './palette-search';

const CATEGORY_ORDER: NodeCategory[] = ['Inputs', 'Features', 'Layers', 'Multi-task', 'Outputs'];

/** Node kinds by category, with search; drag onto the canvas, or double-click / Enter to add. */
export function Palette() {
  const [query, setQuery] = useState('');
  const groups = useMemo(() => {
    const found = searchKinds(NODE_KINDS, query);
    return CATEGORY_ORDER.map((category) => ({ category, kinds: found.filter((k) => k.category === category) })).filter((g) => g.kinds.length > 0);
  }, [query]);

  const onDragStart = (e: DragEvent, kind: string) => {
    e.dataTransfer.setData(PALETTE_MIME, kind);
    e.dataTransfer.effectAllowed = 'copy';
  };

  return (
    <aside className="panel palette" data-testid="palette">
      <div className="palette-search">
        <input type="search" placeholder="Search nodes…" value={query} onChange={(e) => setQuery(e.target.value)} aria-label="Search node kinds" data-testid="palette-search" />
      </div>
      <div className="palette-groups">
        {groups.map((group) => (
          <section key={group.category} className="palette-group">
            <h3>{group.category}</h3>
            {group.kinds.map((kind) => (
              <div
                key={kind.kind}
                className={`palette-item cat-${kind.category.toLowerCase().replace(/[^a-z]+/g, '-')}`}
                draggable
                tabIndex={0}
                role="button"
                title={`${plainText(kind.description)}\n\nDrag onto the canvas, or double-click to add.`}
                onDragStart={(e) => onDragStart(e, kind.kind)}
                onDoubleClick={() => addNodeAt(kind.kind)}
                onKeyDown={(e) => e.key === 'Enter' && addNodeAt(kind.kind)}
                data-testid={`palette-${kind.kind}`}
              >
                <span className="palette-swatch" />
                <span className="palette-title">{kind.title}</span>
                <span className="palette-kind">{kind.kind}</span>
              </div>
            ))}
          </section>
        ))}
        {groups.length === 0 && <p className="panel-desc">No node kind matches “{query}”.</p>}
      </div>
    </aside>
  );
}
