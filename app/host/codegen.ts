import { generateModelModule } from '../codegen/module';
import type { Graph } from '../graph/schema';
import type { CodeResponse } from './contract';

/**
 * The one call into app/codegen (another engineer's module, still settling): if its API changes,
 * this line is the one to fix.
 */
export async function generateCode(graph: Graph, towerflowVersion: string): Promise<CodeResponse> {
  return generateModelModule(graph, { towerflowVersion });
}
