import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openGraphText } from '../graph/open';
import { hostError, type HostError, type OpenedGraphResponse, type TemplateInfo } from './contract';
import { readText } from './files';

/**
 * The template gallery: templates/*.json, the seven architectures, in the order a reader meets
 * them (simplest first). Ids are file names without `.json`; an id is checked against the listing
 * before any path is built from it, so `../x` can never name a file.
 */
const ORDER = ['shared-bottom', 'omoe', 'mmoe', 'cgc', 'ple', 'esmm', 'din'];

export async function listTemplates(dir: string): Promise<{ templates: TemplateInfo[] } | HostError> {
  const ids = await templateIds(dir);
  if (!Array.isArray(ids)) return ids;
  const templates: TemplateInfo[] = [];
  for (const id of ids) {
    const opened = await openTemplate(dir, id);
    if ('error' in opened || !opened.graph) continue;
    templates.push({ id, name: opened.graph.name, ...(opened.graph.description ? { description: opened.graph.description } : {}), nodes: opened.graph.nodes.length });
  }
  return { templates };
}

export async function openTemplate(dir: string, id: string): Promise<(OpenedGraphResponse & { id: string }) | HostError> {
  const ids = await templateIds(dir);
  if (!Array.isArray(ids)) return ids;
  if (!ids.includes(id)) return hostError('E_UNKNOWN_TEMPLATE', `no template "${id}"; the templates are ${ids.join(', ')}`);
  const text = await readText(join(dir, `${id}.json`));
  if (typeof text !== 'string') return text;
  const opened = openGraphText(text);
  return { id, ...(opened.graph ? { graph: opened.graph } : {}), diagnostics: opened.diagnostics };
}

async function templateIds(dir: string): Promise<string[] | HostError> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    return hostError('E_IO', `cannot list the templates in ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const ids = names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length));
  const rank = (id: string) => (ORDER.includes(id) ? ORDER.indexOf(id) : ORDER.length);
  return ids.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
