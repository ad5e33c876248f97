import { z } from 'zod';
import type { CompiledGraph } from '../compile/to-tfjs';
import { ID_SEPARATORS } from './column-kinds';
import { dataError, type DataError } from './errors';
import { parseLabelRule, type LabelRule } from './labels';
import { nameRecord, own } from './records';

/**
 * A dataset binding says how a data file feeds a graph: which data column each graph column reads
 * (by default the column of the same name), how it is encoded, and how each output's label is made
 * (by default its `label` column, which must hold 0/1). It is saved with every run.
 */
const featureBinding = z.strictObject({
  column: z.string().min(1).optional().describe('Data column feeding this graph column (default: same name).'),
  encoding: z.enum(['vocabulary', 'hash']).optional().describe('Categorical ids: a fitted vocabulary (default) or hashing into the table size.'),
  minFrequency: z.number().int().min(1).optional().describe('Vocabulary: values seen fewer times go to the out-of-vocabulary id.'),
  log: z.boolean().optional().describe('Numeric: standardise log1p(x), for heavy-tailed non-negative columns.'),
  separator: z.enum(ID_SEPARATORS as unknown as [string, ...string[]]).optional().describe('Id lists: the separator between ids (default "|").'),
});

export const DatasetBindingSchema = z.strictObject({
  header: z.union([z.boolean(), z.literal('auto')]).default('auto').describe('Whether the file has a header row.'),
  columns: z.array(z.string().min(1)).optional().describe('Column names, for files without a header row.'),
  features: z.record(z.string(), featureBinding).default({}),
  labels: z.record(z.string(), z.unknown()).default({}).describe('Label rule per output name.'),
  group: z.string().min(1).optional().describe('Column grouping rows by user, for GAUC.'),
});

export type FeatureBinding = z.output<typeof featureBinding>;
export type DatasetBinding = Omit<z.output<typeof DatasetBindingSchema>, 'labels'> & { labels: Record<string, LabelRule> };

export function parseBinding(json: unknown, file?: string): DatasetBinding | DataError {
  const parsed = DatasetBindingSchema.safeParse(json ?? {});
  const where = file !== undefined ? { file } : {};
  const invalid = (error: z.ZodError, prefix: readonly PropertyKey[] = []) => {
    const issue = error.issues[0];
    const path = [...prefix, ...(issue?.path ?? [])];
    return dataError('E_DATA_BAD_BINDING', `invalid dataset binding${path.length > 0 ? ` at ${path.join('.')}` : ''}: ${issue?.message ?? 'unknown problem'}`, where);
  };
  if (!parsed.success) return invalid(parsed.error);
  // zod's records drop a "__proto__" key, so the entries are taken from the JSON itself.
  const raw = json as { features?: Record<string, unknown>; labels?: Record<string, unknown> } | undefined;
  const features = nameRecord<FeatureBinding>();
  for (const [name, value] of Object.entries(raw?.features ?? {})) {
    const feature = featureBinding.safeParse(value);
    if (!feature.success) return invalid(feature.error, ['features', name]);
    features[name] = feature.data;
  }
  const labels = nameRecord<LabelRule>();
  for (const [output, value] of Object.entries(raw?.labels ?? {})) {
    const rule = parseLabelRule(value);
    if ('code' in rule) return dataError('E_DATA_BAD_BINDING', `label of output "${output}": ${rule.message}`, where);
    labels[output] = rule;
  }
  return { ...parsed.data, features, labels };
}

/** The label rule of each trained output: the binding's, else its `label` column as 0/1 (or raw for MSE). */
export function labelRules(compiled: Pick<CompiledGraph, 'outputs'>, binding: DatasetBinding): Map<string, LabelRule> {
  const rules = new Map<string, LabelRule>();
  for (const output of compiled.outputs) {
    if (output.label === undefined) continue;
    const rule = own(binding.labels, output.name) ?? (output.loss === 'mse' ? { column: output.label, numeric: true as const } : { column: output.label });
    rules.set(output.name, rule);
  }
  return rules;
}

/** The data column feeding a graph column. */
export const dataColumnOf = (binding: DatasetBinding, graphColumn: string): string => own(binding.features, graphColumn)?.column ?? graphColumn;
