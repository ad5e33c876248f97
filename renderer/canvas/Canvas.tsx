import { useCallback, useEffect, useMemo, useRef, type DragEvent } from 'react';
import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  useStore,
  useStoreApi,
  type Connection,
  type Edge,
  type EdgeChange,
  type FinalConnectionState,
  type NodeChange,
  type OnConnectStartParams,
} from '@xyflow/react';
import { canConnect, connect, moveNodes, removeEdges, removeNodes } from '../../app/graph/commands';
import { editorStore, useEditor } from '../state/editor';
import { useUi } from '../state/ui-store';
import { validationOf } from '../state/validation';
import { canvasControls } from './canvas-controls';
import { addNodeAt } from './edit-actions';
import { READABLE_ZOOM, fitViewport } from './fit';
import { spreadToFit } from './layout';
import { applySelection, planEdgeChanges, planNodeChanges } from './changes';
import { nodeTypes, edgeTypes } from './node-types';
import { createProjector, type TowerFlowNode } from './projection';

export const PALETTE_MIME = 'application/x-towerflow-kind';

const CATEGORY_COLORS: Record<string, string> = {
  Inputs: 'var(--cat-inputs)',
  Features: 'var(--cat-features)',
  Layers: 'var(--cat-layers)',
  'Multi-task': 'var(--cat-multi-task)',
  Outputs: 'var(--cat-outputs)',
};
const minimapColor = (node: TowerFlowNode) => (node.data.issues.some((i) => i.severity === 'error') ? 'var(--error)' : (CATEGORY_COLORS[node.data.kind?.category ?? ''] ?? 'var(--cat-unknown)'));

/**
 * The model canvas. React Flow is fully controlled: nodes and edges are projected from the core
 * graph, and every change React Flow reports is turned into a core command or UI state.
 */
export function Canvas() {
  const graph = useEditor((s) => s.graph);
  const selection = useEditor((s) => s.selection);
  const measured = useEditor((s) => s.measured);
  const theme = useUi((s) => s.theme);
  const flow = useReactFlow();
  const projector = useRef(createProjector()).current;
  const validation = validationOf(graph);
  const nodes = useMemo(() => projector.nodes(graph, validation, selection, measured), [projector, graph, validation, selection, measured]);
  const edges = useMemo(() => projector.edges(graph, validation, selection), [projector, graph, validation, selection]);
  // Below a readable zoom the cards show their labels alone, drawn at a size the screen can read.
  const far = useStore((s) => s.transform[2] < READABLE_ZOOM - 1e-6);
  const flowStore = useStoreApi();
  const canvasRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const setZoom = (zoom: number) => canvasRef.current?.style.setProperty('--zoom', String(zoom));
    setZoom(flowStore.getState().transform[2]);
    return flowStore.subscribe((s, before) => s.transform[2] !== before.transform[2] && setZoom(s.transform[2]));
  }, [flowStore]);

  // When a side panel folds or unfolds, the canvas's left edge moves: the graph stays where it was on screen.
  useEffect(() => {
    const element = canvasRef.current;
    if (!element) return;
    let left = element.getBoundingClientRect().left;
    const observer = new ResizeObserver(() => {
      const now = element.getBoundingClientRect();
      // A hidden tab page measures 0 wide: nothing moved for the user.
      if (now.width === 0) return;
      const moved = now.left - left;
      left = now.left;
      if (moved === 0) return;
      const view = flow.getViewport();
      void flow.setViewport({ ...view, x: view.x - moved });
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [flow]);

  useEffect(() => {
    canvasControls.fit = () => {
      const nodes = flow.getNodes();
      const box = document.querySelector('.react-flow')?.getBoundingClientRect();
      if (nodes.length === 0 || !box) return;
      void flow.setViewport(fitViewport(flow.getNodesBounds(nodes), box), { duration: 250 });
    };
    canvasControls.overview = () => void flow.fitView({ padding: 0.12, duration: 250 });
    canvasControls.focus = (nodeId) => {
      editorStore.getState().select({ nodes: [nodeId], edges: [] });
      void flow.fitView({ nodes: [{ id: nodeId }], padding: 1.2, maxZoom: 1.2, duration: 300 });
    };
    canvasControls.center = () => {
      const box = document.querySelector('.react-flow')?.getBoundingClientRect();
      return box ? flow.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 }) : { x: 0, y: 0 };
    };
    canvasControls.visible = () => {
      const box = document.querySelector('.react-flow')?.getBoundingClientRect();
      if (!box) return undefined;
      const topLeft = flow.screenToFlowPosition({ x: box.left, y: box.top });
      const bottomRight = flow.screenToFlowPosition({ x: box.right, y: box.bottom });
      return { x: topLeft.x, y: topLeft.y, width: bottomRight.x - topLeft.x, height: bottomRight.y - topLeft.y };
    };
  }, [flow]);

  // A newly loaded document is fitted once its nodes have been measured.
  const fittedFor = useRef(-1);
  const documentId = useEditor((s) => s.documentId);
  useEffect(() => {
    if (fittedFor.current === documentId) return;
    // An empty document has nothing to fit; nodes the user adds later must not move the view.
    if (graph.nodes.length === 0) return void (fittedFor.current = documentId);
    if (graph.nodes.every((n) => measured[n.id])) {
      fittedFor.current = documentId;
      const store = editorStore.getState();
      if (store.spreadPending) {
        const moves = spreadToFit(graph, measured);
        const moved = moves.length ? moveNodes(graph, moves) : undefined;
        if (moved?.ok) store.settleLayout(moved.graph);
        else editorStore.setState({ spreadPending: false });
      }
      requestAnimationFrame(() => canvasControls.fit());
    }
  }, [documentId, graph.nodes, measured]);

  const onNodesChange = useCallback((changes: NodeChange<TowerFlowNode>[]) => {
    const store = editorStore.getState();
    const plan = planNodeChanges(changes);
    if (Object.keys(plan.measured).length) store.setMeasured(plan.measured);
    if (plan.moves.length) store.run((g) => moveNodes(g, plan.moves));
    if (plan.selection.size) store.select({ nodes: applySelection(store.selection.nodes, plan.selection) });
    if (plan.removed.length) store.run((g) => removeNodes(g, plan.removed));
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    const store = editorStore.getState();
    const plan = planEdgeChanges(changes);
    if (plan.selection.size) store.select({ edges: applySelection(store.selection.edges, plan.selection) });
    if (plan.removed.length) store.run((g) => removeEdges(g, plan.removed));
  }, []);

  const onNodeDragStart = useCallback((_: unknown, _node: unknown, dragged: TowerFlowNode[]) => {
    editorStore.getState().beginGesture(`Move ${dragged.length === 1 ? '1 node' : `${dragged.length} nodes`}`);
  }, []);
  const onNodeDragStop = useCallback(() => editorStore.getState().endGesture(), []);

  // The reason a connection would be refused follows the pointer while a connection is drawn.
  const pointer = useRef({ x: 0, y: 0 });
  const lastRefusal = useRef<string | undefined>(undefined);
  useEffect(() => {
    const track = (e: PointerEvent) => {
      pointer.current = { x: e.clientX, y: e.clientY };
      const hint = useUi.getState().connectionHint;
      if (hint) useUi.getState().setConnectionHint({ ...hint, x: e.clientX, y: e.clientY });
    };
    window.addEventListener('pointermove', track);
    return () => window.removeEventListener('pointermove', track);
  }, []);

  const isValidConnection = useCallback((connection: Connection | Edge) => {
    const { source, target, sourceHandle, targetHandle } = connection;
    if (!sourceHandle || !targetHandle) return false;
    const check = canConnect(editorStore.getState().graph, { node: source, port: sourceHandle }, { node: target, port: targetHandle });
    lastRefusal.current = check.ok ? undefined : check.reason;
    useUi.getState().setConnectionHint(check.ok ? undefined : { reason: check.reason, ...pointer.current });
    return check.ok;
  }, []);

  const onConnectStart = useCallback((_: unknown, _params: OnConnectStartParams) => {
    lastRefusal.current = undefined;
  }, []);

  const onConnectEnd = useCallback((_: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    useUi.getState().setConnectionHint(undefined);
    // Dropped on a handle that refused: keep the reason in the status line.
    if (state.toHandle && !state.isValid && lastRefusal.current) editorStore.setState({ refusal: `Not connected: ${lastRefusal.current}` });
  }, []);

  const onConnect = useCallback((c: Connection) => {
    if (!c.sourceHandle || !c.targetHandle) return;
    const source = { node: c.source, port: c.sourceHandle };
    const target = { node: c.target, port: c.targetHandle };
    editorStore.getState().run((g) => connect(g, source, target));
  }, []);

  const onDragOver = useCallback((e: DragEvent) => {
    if (!e.dataTransfer.types.includes(PALETTE_MIME)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const kind = e.dataTransfer.getData(PALETTE_MIME);
      if (!kind) return;
      e.preventDefault();
      const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      addNodeAt(kind, { x: Math.round(at.x - 100), y: Math.round(at.y - 30) });
    },
    [flow],
  );

  return (
    <div ref={canvasRef} className={`canvas ${far ? 'zoom-far' : ''}`} onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStart={onNodeDragStart}
        onNodeDragStop={onNodeDragStop}
        onConnect={onConnect}
        onConnectStart={onConnectStart}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        colorMode={theme}
        deleteKeyCode={null}
        multiSelectionKeyCode={['Meta', 'Control', 'Shift']}
        selectionKeyCode="Shift"
        connectionRadius={28}
        minZoom={0.1}
        maxZoom={2.5}
        proOptions={{ hideAttribution: true }}
        defaultViewport={{ x: 24, y: 24, zoom: 1 }}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} />
        <MiniMap pannable zoomable className="minimap" nodeBorderRadius={8} nodeColor={minimapColor} nodeStrokeWidth={0} style={{ width: 168, height: 110 }} />
        <Controls showInteractive={false} />
      </ReactFlow>
      {graph.nodes.length === 0 && (
        <div className="canvas-empty">
          <p>Drag node kinds from the palette, or start from a template.</p>
          <button type="button" className="btn" onClick={() => useUi.getState().showTemplates(true)}>
            Browse templates
          </button>
        </div>
      )}
    </div>
  );
}
