import type { EdgeTypes, NodeTypes } from '@xyflow/react';
import { NodeCard } from './NodeCard';
import { ShapeEdge } from './ShapeEdge';

// Module scope: React Flow remounts every node when these objects change identity.
export const nodeTypes: NodeTypes = { tower: NodeCard };
export const edgeTypes: EdgeTypes = { shape: ShapeEdge };
