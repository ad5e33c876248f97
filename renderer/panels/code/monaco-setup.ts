// Only the editor core and the TypeScript language, not the `monaco-editor` entry (which registers
// every language and pulls in ~2 MB more of workers). Everything is bundled: no CDN, same origin,
// so it runs under Electron's strict CSP.
import * as monaco from 'monaco-editor/editor/editor.api';
import 'monaco-editor/language/typescript/monaco.contribution';
// The same module the contribution re-exports from; this path carries the type declarations.
import { typescriptDefaults } from 'monaco-editor/languages/features/typescript/register';
// The TypeScript colouring (Monarch tokens) is registered separately from the language service.
import 'monaco-editor/languages/definitions/typescript/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import TsWorker from 'monaco-editor/language/typescript/ts.worker?worker';

self.MonacoEnvironment = {
  getWorker: (_workerId: string, label: string) => (label === 'typescript' || label === 'javascript' ? new TsWorker() : new EditorWorker()),
};

// The generated module imports @tensorflow/tfjs, which this editor has no types for: show syntax
// problems only, not "cannot find module".
typescriptDefaults.setDiagnosticsOptions({ noSemanticValidation: true, noSyntaxValidation: false });

export { monaco };
