import { Handle, Position } from '@xyflow/react';
import type { PortSpec } from '../../app/nodes/define-node';
import { PORT_TYPE_WORDS, formatShape, type TensorInfo } from '../../app/nodes/tensor';
import { plainText } from '../panels/inline-code';

interface Props {
  port: PortSpec;
  side: 'in' | 'out';
  tensor?: TensorInfo;
  connected?: boolean;
  issue?: string;
}

/**
 * One port row with its handle. The handle's shape and colour say the tensor type (ids: amber
 * diamond, float: blue circle); a multi port (any number of edges) is a tall bar; a required input
 * with nothing connected is hollow.
 */
export function PortHandle({ port, side, tensor, connected, issue }: Props) {
  const classes = ['port-handle', `port-${port.type}`, port.multi ? 'port-multi' : '', side === 'in' && !connected && !port.optional ? 'port-open' : '', issue ? 'port-fault' : '']
    .filter(Boolean)
    .join(' ');
  const help = `${port.label}: ${PORT_TYPE_WORDS[port.type]}${port.multi ? ', any number of connections' : ''}${port.optional ? ', optional' : ''} — ${plainText(port.description)}${issue ? `\n⚠ ${issue}` : ''}`;
  return (
    <div className={`port-row port-row-${side}`} title={help}>
      <Handle type={side === 'in' ? 'target' : 'source'} position={side === 'in' ? Position.Left : Position.Right} id={port.id} className={classes} data-port={port.id} />
      <span className="port-label">{port.label}</span>
      {tensor && <span className="port-shape">{formatShape(tensor.shape)}</span>}
    </div>
  );
}
