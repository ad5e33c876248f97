import { lazy, Suspense } from 'react';
import { exportTorchPackage, fileNameFor, saveGeneratedCode } from '../../state/document-actions';
import { useEditor } from '../../state/editor';
import { toast, useUi } from '../../state/ui-store';
import { useGeneratedCode } from './use-generated-code';

const MonacoView = lazy(() => import('./MonacoView'));

/** The generated TypeScript for the current graph, read-only, with copy, save-as and the PyTorch export. */
export default function CodeTab({ active }: { active: boolean }) {
  const graph = useEditor((s) => s.graph);
  const theme = useUi((s) => s.theme);
  const generated = useGeneratedCode(graph, active);
  const code = generated.state === 'ok' ? generated.code : undefined;

  const copy = async () => {
    if (!code) return;
    try {
      await navigator.clipboard.writeText(code);
      toast('success', 'Code copied');
    } catch (error) {
      toast('error', `Cannot copy: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  // Asks before replacing a module saved earlier (the host refuses to replace silently).
  const save = async () => {
    if (code) await saveGeneratedCode(code, graph.name);
  };

  return (
    <div className="code-tab">
      <div className="code-bar">
        <span className="code-title">
          <strong>{fileNameFor(graph.name, '.ts')}</strong> — generated from the graph; edit the graph, not this file
        </span>
        <span className="code-state" data-testid="code-state">
          {generated.state === 'pending' ? 'generating…' : generated.state === 'ok' ? `${code?.split('\n').length ?? 0} lines` : ''}
        </span>
        <button type="button" className="btn" disabled={!code} onClick={() => void copy()} data-testid="code-copy">
          Copy
        </button>
        <button type="button" className="btn" disabled={!code} onClick={() => void save()} data-testid="code-save">
          Save as…
        </button>
        <button
          type="button"
          className="btn"
          disabled={!code}
          onClick={() => void exportTorchPackage(graph)}
          title="A Python package of this model: train it with torchrun (DDP) on many machines, predict, and write the weights back as a Towerflow run"
          data-testid="code-export-torch"
        >
          Export to PyTorch…
        </button>
      </div>
      {generated.state === 'invalid' && (
        <div className="code-invalid">
          <p>The graph has errors; code is generated from a valid graph only.</p>
          <ul className="issue-list">
            {generated.diagnostics
              .filter((d) => d.severity === 'error')
              .map((d, i) => (
                <li key={i} className="issue issue-error">
                  <code>{d.code}</code> {d.message}
                </li>
              ))}
          </ul>
        </div>
      )}
      {generated.state === 'failed' && <p className="issue issue-error">Code generation failed: {generated.message}</p>}
      <div className={`code-editor ${code ? '' : 'is-hidden'}`}>
        <Suspense fallback={<div className="loading">Loading editor…</div>}>
          <MonacoView code={code ?? ''} theme={theme} />
        </Suspense>
      </div>
    </div>
  );
}
