import { memo } from 'react';
import { BaseEdge, EdgeLabelRenderer, getBezierPath, type EdgeProps } from '@xyflow/react';
import { formatShape } from '../../app/nodes/tensor';
import type { ShapeFlowEdge } from './projection';

/** An edge labelled with the tensor it carries ([16], [8, 16]); red with the reason when at fault. */
export const ShapeEdge = memo(function ShapeEdge(props: EdgeProps<ShapeFlowEdge>) {
  const { id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected, markerEnd } = props;
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const fault = data?.issues.find((i) => i.severity === 'error');
  const tensor = data?.tensor;
  const className = ['shape-edge', tensor ? `edge-${tensor.type}` : '', fault ? 'edge-fault' : '', selected ? 'edge-selected' : ''].filter(Boolean).join(' ');
  return (
    <>
      <BaseEdge id={id} path={path} className={className} markerEnd={markerEnd} interactionWidth={18} />
      {(tensor || fault) && (
        <EdgeLabelRenderer>
          <div
            className={`edge-label nodrag nopan ${fault ? 'edge-label-fault' : ''} ${selected ? 'edge-label-selected' : ''}`}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            title={fault ? `${fault.code}: ${fault.message}` : `${tensor?.type}${tensor?.masked ? ', masked' : ''}`}
            data-testid={`edge-label-${id}`}
          >
            {fault ? '⚠ ' : ''}
            {tensor ? formatShape(tensor.shape) : 'no shape'}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
});
