import { useEffect, useRef } from 'react';
import { monaco } from './monaco-setup';

/** A read-only Monaco editor showing `code`; keeps its scroll position when the code updates. */
export default function MonacoView({ code, theme }: { code: string; theme: 'dark' | 'light' }) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<monaco.editor.IStandaloneCodeEditor>(undefined);

  useEffect(() => {
    if (!host.current) return;
    const model = monaco.editor.createModel('', 'typescript', monaco.Uri.parse('file:///model.ts'));
    editor.current = monaco.editor.create(host.current, {
      model,
      readOnly: true,
      automaticLayout: true,
      minimap: { enabled: true },
      fontSize: 13,
      scrollBeyondLastLine: false,
      renderWhitespace: 'none',
      tabSize: 2,
    });
    return () => {
      editor.current?.dispose();
      model.dispose();
    };
  }, []);

  useEffect(() => {
    const model = editor.current?.getModel();
    if (model && model.getValue() !== code) {
      const scroll = editor.current?.getScrollTop() ?? 0;
      model.setValue(code);
      editor.current?.setScrollTop(scroll);
    }
  }, [code]);

  useEffect(() => monaco.editor.setTheme(theme === 'dark' ? 'vs-dark' : 'vs'), [theme]);

  return <div className="monaco-host" ref={host} data-testid="monaco" />;
}
