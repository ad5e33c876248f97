import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles/theme.css';
import './styles/layout.css';
import './styles/canvas.css';
import './styles/panels.css';
import './styles/train.css';
import { App } from './App';
import { editorStore } from './state/editor';

const root = document.getElementById('root');
if (!root) throw new Error('Bug: index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// A read-only window for the end-to-end tests and for debugging from devtools: the document as saved.
Object.defineProperty(window, '__towerflow', { value: { graph: () => editorStore.getState().graph, state: () => editorStore.getState() } });
