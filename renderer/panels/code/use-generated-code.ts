import { useEffect, useState } from 'react';
import type { Graph } from '../../../app/graph/schema';
import type { Diagnostic } from '../../../app/validate/diagnostics';

export type GeneratedCode = { state: 'pending' } | { state: 'ok'; code: string } | { state: 'invalid'; diagnostics: Diagnostic[] } | { state: 'failed'; message: string };

/**
 * The TypeScript module for the graph, from the core's code generator (browser-safe: prettier's
 * standalone build), loaded on first use and re-run 400 ms after the last edit.
 */
export function useGeneratedCode(graph: Graph, active: boolean): GeneratedCode {
  const [result, setResult] = useState<{ graph: Graph; code: GeneratedCode }>();
  useEffect(() => {
    if (!active || result?.graph === graph) return;
    let cancelled = false;
    const timer = setTimeout(async () => {
      try {
        const { generateModelModule } = await import('../../../app/codegen/module');
        const generated = await generateModelModule(graph, { towerflowVersion: __TOWERFLOW_VERSION__ });
        if (cancelled) return;
        setResult({ graph, code: generated.ok ? { state: 'ok', code: generated.code } : { state: 'invalid', diagnostics: generated.diagnostics } });
      } catch (error) {
        if (!cancelled) setResult({ graph, code: { state: 'failed', message: error instanceof Error ? error.message : String(error) } });
      }
    }, result ? 400 : 0);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [graph, active, result]);
  return result?.code ?? { state: 'pending' };
}
