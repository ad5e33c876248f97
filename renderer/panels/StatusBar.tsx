import { useEditor } from '../state/editor';
import { isDirty } from '../state/editor-store';
import { useModelSummary } from '../state/model-summary';
import { validationOf } from '../state/validation';
import { formatBytes } from './FileBrowser';

export const formatCount = (n: number): string => n.toLocaleString('en-US');

/** Counts of problems, nodes, parameters and embedding memory; the last refusal or hint. */
export function StatusBar({ onToggleProblems }: { onToggleProblems(): void }) {
  const graph = useEditor((s) => s.graph);
  const refusal = useEditor((s) => s.refusal);
  const undoLabel = useEditor((s) => s.undoLabel);
  const path = useEditor((s) => s.path);
  const dirty = useEditor(isDirty);
  const { diagnostics } = validationOf(graph);
  const summary = useModelSummary(graph);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  return (
    <footer className="statusbar" data-testid="statusbar">
      <button type="button" className={`status-item status-problems ${errors ? 'has-errors' : ''}`} onClick={onToggleProblems} data-testid="status-problems">
        <span className="sev sev-error">●</span> {errors} <span className="sev sev-warning">▲</span> {warnings}
      </button>
      <span className="status-item">
        {graph.nodes.length} nodes · {graph.edges.length} connections
      </span>
      <span className="status-item" data-testid="status-params" title={[summary.note, summary.sizing?.note].filter(Boolean).join('\n') || undefined}>
        params {summary.sizing?.estimated && summary.parameters !== undefined ? '≈' : ''}
        {summary.parameters !== undefined ? formatCount(summary.parameters) : summary.pending ? '…' : '—'}
        {summary.pending && summary.parameters !== undefined ? '…' : ''}
      </span>
      <span className="status-item" data-testid="status-memory" title={summary.embedding.tables.map((t) => `${t.name}: ${formatCount(t.vocabSize)} × ${t.dim}`).join('\n')}>
        embeddings {formatBytes(summary.embedding.bytes)} ({summary.embedding.tables.length} {summary.embedding.tables.length === 1 ? 'table' : 'tables'})
      </span>
      <span className={`status-item status-message ${refusal ? 'is-refusal' : ''}`} data-testid="status-message">
        {refusal ?? (undoLabel ? `Last edit: ${undoLabel}` : '')}
      </span>
      <span className="status-item status-file">
        {path ?? 'not saved yet'}
        {dirty ? ' — unsaved' : ''}
      </span>
    </footer>
  );
}
