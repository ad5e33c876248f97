import { memo } from 'react';
import type { NodeProps } from '@xyflow/react';
import type { TowerFlowNode } from './projection';
import { PortHandle } from './PortHandle';

/**
 * A node on the canvas: kind, label, key params, ports. Memoised on its projected data, which the
 * projection keeps identical while nothing about the node changed.
 */
export const NodeCard = memo(function NodeCard({ data, selected }: NodeProps<TowerFlowNode>) {
  const { node, kind, summary, issues, outputs, connectedInputs } = data;
  const errors = issues.filter((i) => i.severity === 'error');
  const warnings = issues.filter((i) => i.severity === 'warning');
  const category = kind?.category.toLowerCase().replace(/[^a-z]+/g, '-') ?? 'unknown';
  const state = errors.length ? 'has-error' : warnings.length ? 'has-warning' : '';
  const portIssue = (portId: string) => issues.find((i) => i.portId === portId && i.severity === 'error')?.message;
  // An open required port is drawn hollow; the card's message box is for what the drawing cannot show.
  const shownError = errors.find((i) => i.code !== 'E_PORT_REQUIRED');
  return (
    <div className={`node-card cat-${category} ${state} ${selected ? 'is-selected' : ''}`} data-testid={`node-${node.id}`} data-node-id={node.id}>
      <div className="node-head">
        <span className="node-kind">{kind?.title ?? node.kind}</span>
        {issues.length > 0 && (
          <span className={`node-badge ${errors.length ? 'badge-error' : 'badge-warning'}`} title={issues.map((i) => `${i.code}: ${i.message}`).join('\n')} data-testid="node-badge">
            {errors.length || warnings.length}
          </span>
        )}
      </div>
      <div className="node-label" title={node.label}>
        {node.label}
      </div>
      {summary && (
        <div className="node-summary" title={summary}>
          {summary}
        </div>
      )}
      {kind && (
        <div className="node-ports">
          <div className="ports-col ports-in">
            {kind.inputs.map((port) => (
              <PortHandle key={port.id} port={port} side="in" connected={connectedInputs.includes(port.id)} issue={portIssue(port.id)} />
            ))}
          </div>
          <div className="ports-col ports-out">
            {kind.outputs.map((port) => (
              <PortHandle key={port.id} port={port} side="out" tensor={outputs?.[port.id]} />
            ))}
          </div>
        </div>
      )}
      <div className="node-far-label" aria-hidden="true">
        {node.label}
      </div>
      {shownError && (
        <div className="node-problem" title={shownError.message}>
          {shownError.message}
        </div>
      )}
    </div>
  );
});
