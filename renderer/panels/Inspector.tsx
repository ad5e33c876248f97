import { Fragment, useMemo, useState, useEffect } from 'react';
import { removeEdges, renameNode, setMeta, setParam } from '../../app/graph/commands';
import { PORT_TYPE_WORDS, formatShape, type IdField } from '../../app/nodes/tensor';
import { sizesFromData } from '../../app/data/vocab-sizes';
import { registry } from '../../app/nodes/registry';
import type { Graph, GraphNode } from '../../app/graph/schema';
import { resolvedParams } from '../canvas/node-summary';
import { editorStore, useEditor } from '../state/editor';
import { validationOf } from '../state/validation';
import { useVocabEstimate, vocabSizing } from '../state/vocab-estimate';
import { summaryOf, summaryRowOf } from '../state/model-table';
import { ModelSummaryView, NodeSizeFacts } from './ModelSize';
import { fieldsOf } from './param-form';
import { plainText } from './inline-code';
import { ParamField } from './ParamField';
import { Prose } from './Prose';

/** Rows of each column's embedding table, as the input sizes them: fixed, fitted, estimated from a file, or a placeholder. */
function TableRows({ fields, note }: { fields: readonly IdField[]; note?: string | undefined }) {
  return (
    <section className="panel-section">
      <h3>Table rows</h3>
      <dl className="facts" data-testid="node-table-rows">
        {fields.map((f) => (
          <Fragment key={f.column}>
            <dt>{f.column}</dt>
            <dd className="mono">
              {f.vocabSize.toLocaleString('en-US')}
              {f.estimated ? ' (placeholder)' : ''}
            </dd>
          </Fragment>
        ))}
      </dl>
      {note && <div className="field-help">{note}</div>}
    </section>
  );
}

/** Right-hand panel: the selected node's form, the selected edge, or the model itself. */
export function Inspector() {
  const graph = useEditor((s) => s.graph);
  const selection = useEditor((s) => s.selection);
  const node = selection.nodes.length === 1 ? graph.nodes.find((n) => n.id === selection.nodes[0]) : undefined;
  const edge = selection.nodes.length === 0 && selection.edges.length === 1 ? graph.edges.find((e) => e.id === selection.edges[0]) : undefined;
  return (
    <aside className="panel inspector" data-testid="inspector">
      {node ? (
        <NodeInspector key={node.id} node={node} graph={graph} />
      ) : edge ? (
        <EdgeInspector graph={graph} edgeId={edge.id} />
      ) : selection.nodes.length > 1 ? (
        <MultiInspector count={selection.nodes.length} />
      ) : (
        <ModelInspector graph={graph} />
      )}
    </aside>
  );
}

function NodeInspector({ node, graph }: { node: GraphNode; graph: Graph }) {
  const kind = registry.get(node.kind);
  const estimate = useVocabEstimate((s) => s.estimate);
  const validation = validationOf(graph);
  const outputs = validation.outputs.get(node.id);
  const issues = validation.diagnostics.filter((d) => d.nodeId === node.id);
  const size = summaryRowOf(validation, node.id);
  const params = useMemo(() => resolvedParams(node, kind), [node, kind]);
  const run = editorStore.getState().run;
  return (
    <>
      <header className="panel-head">
        <span className={`kind-chip cat-${kind?.category.toLowerCase().replace(/[^a-z]+/g, '-') ?? 'unknown'}`}>{kind?.category ?? 'Unknown'}</span>
        <h2>{kind?.title ?? node.kind}</h2>
      </header>
      {kind && (
        <p className="panel-desc" data-testid="kind-description">
          <Prose text={kind.description} />
        </p>
      )}
      <section className="panel-section">
        <TextCommitField label="Name" value={node.label} testId="node-name" onCommit={(label) => run((g) => renameNode(g, node.id, label))} />
        <div className="field-help">
          id <code>{node.id}</code>
        </div>
      </section>
      {kind && fieldsOf(kind).length > 0 && (
        <section className="panel-section">
          <h3>Parameters</h3>
          {fieldsOf(kind).map((field) => (
            <ParamField
              key={field.key}
              field={field}
              value={params[field.key]}
              isSet={Object.prototype.hasOwnProperty.call(node.params, field.key)}
              onCommit={(value) => run((g) => setParam(g, node.id, field.key, value))}
              onReset={() => run((g) => setParam(g, node.id, field.key, undefined))}
            />
          ))}
        </section>
      )}
      {kind && (
        <section className="panel-section">
          <h3>Ports</h3>
          <table className="ports-table">
            <tbody>
              {kind.inputs.map((p) => (
                <tr key={`in-${p.id}`}>
                  <td className="dim">in</td>
                  <td title={plainText(p.description)}>{p.label}</td>
                  <td className="dim">{PORT_TYPE_WORDS[p.type]}{p.multi ? ', many' : ''}</td>
                </tr>
              ))}
              {kind.outputs.map((p) => (
                <tr key={`out-${p.id}`}>
                  <td className="dim">out</td>
                  <td title={plainText(p.description)}>{p.label}</td>
                  <td className="mono">{outputs?.[p.id] ? formatShape(outputs[p.id]?.shape ?? []) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {size && (
        <section className="panel-section">
          <h3>Size</h3>
          <NodeSizeFacts row={size} />
        </section>
      )}
      {outputs?.ids?.fields && <TableRows fields={outputs.ids.fields} note={sizesFromData(node) ? vocabSizing({ ...graph, nodes: [node] }, validation, estimate)?.note : undefined} />}
      {issues.length > 0 && (
        <section className="panel-section">
          <h3>Problems</h3>
          <ul className="issue-list">
            {issues.map((d, i) => (
              <li key={i} className={`issue issue-${d.severity}`}>
                <code>{d.code}</code> {d.message}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

function EdgeInspector({ graph, edgeId }: { graph: Graph; edgeId: string }) {
  const edge = graph.edges.find((e) => e.id === edgeId);
  const validation = validationOf(graph);
  if (!edge) return null;
  const tensor = validation.edgeTensors.get(edge.id);
  const label = (id: string) => graph.nodes.find((n) => n.id === id)?.label ?? id;
  const issues = validation.diagnostics.filter((d) => d.edgeId === edge.id || (d.nodeId === edge.target.node && d.portId === edge.target.port));
  return (
    <>
      <header className="panel-head">
        <span className="kind-chip">Connection</span>
        <h2>
          {label(edge.source.node)} → {label(edge.target.node)}
        </h2>
      </header>
      <section className="panel-section">
        <dl className="facts">
          <dt>From</dt>
          <dd>
            {label(edge.source.node)}.<code>{edge.source.port}</code>
          </dd>
          <dt>To</dt>
          <dd>
            {label(edge.target.node)}.<code>{edge.target.port}</code>
          </dd>
          <dt>Tensor</dt>
          <dd className="mono">{tensor ? `${formatShape(tensor.shape)} ${tensor.type}${tensor.masked ? ', masked' : ''}` : 'unknown'}</dd>
        </dl>
        {issues.map((d, i) => (
          <p key={i} className={`issue issue-${d.severity}`}>
            <code>{d.code}</code> {d.message}
          </p>
        ))}
        <button type="button" className="btn btn-danger" onClick={() => editorStore.getState().run((g) => removeEdges(g, [edge.id]))}>
          Delete connection
        </button>
      </section>
    </>
  );
}

function MultiInspector({ count }: { count: number }) {
  const store = editorStore.getState();
  return (
    <>
      <header className="panel-head">
        <h2>{count} nodes selected</h2>
      </header>
      <section className="panel-section button-row">
        <button type="button" className="btn" onClick={() => store.duplicate()}>
          Duplicate
        </button>
        <button type="button" className="btn" onClick={() => store.copy()}>
          Copy
        </button>
        <button type="button" className="btn btn-danger" onClick={() => store.deleteSelection()}>
          Delete
        </button>
      </section>
    </>
  );
}

function ModelInspector({ graph }: { graph: Graph }) {
  const run = editorStore.getState().run;
  return (
    <>
      <header className="panel-head">
        <span className="kind-chip">Model</span>
        <h2>{graph.name}</h2>
      </header>
      <section className="panel-section">
        <TextCommitField label="Model name" value={graph.name} testId="model-name" onCommit={(name) => run((g) => setMeta(g, { name, ...(g.description !== undefined ? { description: g.description } : {}) }))} />
        <TextCommitField
          label="Description"
          multiline
          value={graph.description ?? ''}
          testId="model-description"
          onCommit={(description) => run((g) => setMeta(g, { name: g.name, ...(description.trim() ? { description: description.trim() } : {}) }))}
        />
      </section>
      {graph.nodes.length > 0 && (
        <section className="panel-section">
          <details open>
            <summary>Model summary</summary>
            <ModelSummaryView summary={summaryOf(validationOf(graph))} onSelect={(id) => editorStore.getState().select({ nodes: [id], edges: [] })} />
          </details>
        </section>
      )}
      <section className="panel-section">
        <p className="panel-desc flush">
          Select a node to edit its parameters. Drag from the palette to add nodes; drag from a port to another to connect them.
        </p>
        <dl className="shortcut-list">
          {SHORTCUTS.map(([keys, what]) => [
            <dt key={`k-${what}`}>
              {keys.map((k, i) => (
                <kbd key={i}>{k}</kbd>
              ))}
            </dt>,
            <dd key={`d-${what}`}>{what}</dd>,
          ])}
        </dl>
      </section>
    </>
  );
}

const SHORTCUTS: [string[], string][] = [
  [['Ctrl', 'Z'], 'undo'],
  [['Ctrl', 'Shift', 'Z'], 'redo (or Ctrl Y)'],
  [['Ctrl', 'C'], 'copy (to other windows too)'],
  [['Ctrl', 'X'], 'cut'],
  [['Ctrl', 'V'], 'paste'],
  [['Ctrl', 'D'], 'duplicate'],
  [['Del'], 'delete selection'],
  [['Ctrl', 'A'], 'select all'],
  [['F'], 'zoom to fit'],
  [['Ctrl', 'Shift', 'L'], 'auto-layout'],
  [['Ctrl', 'S'], 'save'],
  [['Ctrl', 'O'], 'open'],
  [['Ctrl', 'N'], 'new model'],
];

/** A text field that edits on Enter/blur (one command), reverting on Escape. */
export function TextCommitField({ label, value, onCommit, multiline, testId }: { label: string; value: string; onCommit(value: string): void; multiline?: boolean; testId?: string }) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const commit = () => {
    if (draft.trim() === '' && !multiline) return setDraft(value);
    if (draft !== value) onCommit(draft);
  };
  const common = {
    value: draft,
    'data-testid': testId,
    spellCheck: false,
    onChange: (e: { target: { value: string } }) => setDraft(e.target.value),
    onBlur: commit,
    onKeyDown: (e: React.KeyboardEvent) => {
      if (e.key === 'Enter' && !(multiline && e.shiftKey)) {
        e.preventDefault();
        commit();
      } else if (e.key === 'Escape') setDraft(value);
    },
  };
  return (
    <div className="field">
      <label>
        {label}
        {multiline ? <textarea rows={3} {...common} /> : <input type="text" {...common} />}
      </label>
    </div>
  );
}
