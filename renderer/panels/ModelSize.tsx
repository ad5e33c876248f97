import { formatShapes, type ModelSummaryTable, type SummaryRow } from '../../app/validate/summary';
import { formatBytes } from '../../app/validate/model-size';
import { formatCount, parametersText } from '../state/model-table';

/** The selected node's size in the inspector: its output shape and its own parameters (Keras's summary row). */
export function NodeSizeFacts({ row }: { row: SummaryRow }) {
  return (
    <dl className="facts" data-testid="node-size">
      <dt>Output</dt>
      <dd className="mono" data-testid="node-output-shape">
        {formatShapes(row.shapes)}
      </dd>
      <dt>Parameters</dt>
      <dd className="mono" data-testid="node-parameters">
        {parametersText(row)}
      </dd>
      {row.note && (
        <>
          <dt />
          <dd className="dim">{row.note}</dd>
        </>
      )}
    </dl>
  );
}

// Inline: two rules for one table, kept beside it rather than in a stylesheet other panels share.
const NUMBER = { textAlign: 'right' } as const;
const HEAD = { textAlign: 'left' } as const;
const ROW_BUTTON = { background: 'none', border: 'none', padding: 0, color: 'inherit', font: 'inherit', cursor: 'pointer', textAlign: 'left' } as const;

/** Every node with its output shape and parameters, then the totals: `model.summary()` for the open graph. */
export function ModelSummaryView({ summary, onSelect }: { summary: ModelSummaryTable; onSelect?(nodeId: string): void }) {
  return (
    <div data-testid="model-summary">
      <table className="ports-table">
        <thead>
          <tr>
            <th style={HEAD}>Node</th>
            <th style={HEAD}>Output</th>
            <th style={NUMBER}>Params</th>
          </tr>
        </thead>
        <tbody>
          {summary.rows.map((row) => (
            <tr key={row.nodeId} title={`${row.kind}${row.note ? ` — ${row.note}` : ''}`}>
              <td>
                {onSelect ? (
                  <button type="button" style={ROW_BUTTON} onClick={() => onSelect(row.nodeId)}>
                    {row.label}
                  </button>
                ) : (
                  row.label
                )}
              </td>
              <td className="mono">{formatShapes(row.shapes)}</td>
              <td className="mono" style={NUMBER}>
                {formatCount(row.parameters)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="field-help" data-testid="model-summary-total">
        {formatCount(summary.parameters)} parameters ({formatBytes(summary.bytes)}), {formatCount(summary.trainable)} trainable
        {summary.complete ? '' : '; incomplete until the errors are fixed'}
      </p>
    </div>
  );
}
