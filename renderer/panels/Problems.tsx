import { useEditor } from '../state/editor';
import { validationOf } from '../state/validation';
import { canvasControls } from '../canvas/canvas-controls';

/** Every diagnostic of the graph; clicking one selects and brings its node into view. */
export function Problems() {
  const graph = useEditor((s) => s.graph);
  const { diagnostics } = validationOf(graph);
  const labelOf = (id: string) => graph.nodes.find((n) => n.id === id)?.label ?? id;
  const nodeOf = (d: (typeof diagnostics)[number]) => d.nodeId ?? (d.edgeId ? graph.edges.find((e) => e.id === d.edgeId)?.target.node : undefined);
  return (
    <section className="problems" data-testid="problems">
      {diagnostics.length === 0 ? (
        <p className="problems-empty">No problems: the model compiles.</p>
      ) : (
        <ul>
          {diagnostics.map((d, i) => {
            const nodeId = nodeOf(d);
            return (
              <li key={`${d.code}-${i}`} className={`problem problem-${d.severity}`}>
                <button type="button" disabled={!nodeId} onClick={() => nodeId && canvasControls.focus(nodeId)} data-testid="problem">
                  <span className={`sev sev-${d.severity}`}>{d.severity === 'error' ? '●' : '▲'}</span>
                  <code>{d.code}</code>
                  {nodeId && <span className="problem-node">{labelOf(nodeId)}</span>}
                  <span className="problem-message">{d.message}</span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
