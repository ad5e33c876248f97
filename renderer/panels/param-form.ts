import { z } from 'zod';
import type { AnyNodeKind } from '../../app/nodes/define-node';

/**
 * The inspector's form for a node kind, generated from its zod param schema (via JSON Schema), so a
 * kind declares a param once and gets its control, bounds and help text here for free.
 */
interface Common {
  key: string;
  label: string;
  help?: string;
  defaultValue: unknown;
}

export type FieldSpec =
  /** keyword: a word the param takes besides numbers (vocabSize "auto"). */
  | (Common & { control: 'number'; integer: boolean; min?: number; max?: number; keyword?: string })
  | (Common & { control: 'numbers'; integer: boolean; min?: number; max?: number; minItems: number; maxItems?: number })
  | (Common & { control: 'strings'; minItems: number; maxItems?: number; maxLength?: number })
  | (Common & { control: 'select'; options: string[] })
  | (Common & { control: 'checkbox' })
  | (Common & { control: 'text'; maxLength?: number; minLength?: number });

interface JsonSchemaProperty {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  items?: JsonSchemaProperty;
  anyOf?: JsonSchemaProperty[];
  const?: unknown;
}

const cache = new WeakMap<AnyNodeKind, FieldSpec[]>();

export function fieldsOf(kind: AnyNodeKind): FieldSpec[] {
  const cached = cache.get(kind);
  if (cached) return cached;
  const schema = z.toJSONSchema(kind.params, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonSchemaProperty> };
  // Object params (an input's fitted vocabSizes) are written by training, not typed: the inspector's size facts show them.
  const fields = Object.entries(schema.properties ?? {})
    .filter(([, p]) => p.type !== 'object')
    .map(([key, p]) => fieldOf(key, p));
  cache.set(kind, fields);
  return fields;
}

/**
 * Params whose plain names repeat a field the inspector already has: the node's own "Name" sits
 * above every form, so the output's `name` (what the prediction is called) and `label` (the data
 * column it learns from) say which name they are.
 */
const FIELD_LABELS: Readonly<Record<string, string>> = { name: 'Prediction name', label: 'Label column' };

function fieldOf(key: string, p: JsonSchemaProperty): FieldSpec {
  const common: Common = { key, label: FIELD_LABELS[key] ?? labelOf(key), defaultValue: p.default, ...(p.description ? { help: p.description } : {}) };
  if (p.enum) return { ...common, control: 'select', options: p.enum.map(String) };
  const keyword = p.anyOf?.find((a) => typeof a.const === 'string')?.const;
  const numeric = p.anyOf?.find((a) => a.type === 'integer' || a.type === 'number');
  if (typeof keyword === 'string' && numeric) return { ...common, control: 'number', integer: numeric.type === 'integer', ...bounds(numeric), keyword };
  if (p.type === 'boolean') return { ...common, control: 'checkbox' };
  if (p.type === 'integer' || p.type === 'number') return { ...common, control: 'number', integer: p.type === 'integer', ...bounds(p) };
  if (p.type === 'array' && (p.items?.type === 'integer' || p.items?.type === 'number')) {
    return { ...common, control: 'numbers', integer: p.items.type === 'integer', ...bounds(p.items), minItems: p.minItems ?? 0, ...(p.maxItems !== undefined ? { maxItems: p.maxItems } : {}) };
  }
  if (p.type === 'array') {
    return {
      ...common,
      control: 'strings',
      minItems: p.minItems ?? 0,
      ...(p.maxItems !== undefined ? { maxItems: p.maxItems } : {}),
      ...(p.items?.maxLength !== undefined ? { maxLength: p.items.maxLength } : {}),
    };
  }
  return { ...common, control: 'text', ...(p.maxLength !== undefined ? { maxLength: p.maxLength } : {}), ...(p.minLength !== undefined ? { minLength: p.minLength } : {}) };
}

const bounds = (p: JsonSchemaProperty) => ({
  ...(p.minimum !== undefined ? { min: p.minimum } : p.exclusiveMinimum !== undefined ? { min: p.exclusiveMinimum } : {}),
  ...(p.maximum !== undefined ? { max: p.maximum } : p.exclusiveMaximum !== undefined ? { max: p.exclusiveMaximum } : {}),
});

/** `vocabSize` → "Vocab size", `lossWeight` → "Loss weight". */
export function labelOf(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

/** Text typed into a field → the param value, or why it is not allowed (bounds are enforced here). */
export function parseField(field: FieldSpec, input: string | boolean): Parsed {
  switch (field.control) {
    case 'checkbox':
      return { ok: true, value: Boolean(input) };
    case 'select':
      return field.options.includes(String(input)) ? { ok: true, value: String(input) } : { ok: false, message: `choose one of ${field.options.join(', ')}` };
    case 'number':
      return parseNumber(String(input), field);
    case 'numbers': {
      const parts = splitList(String(input));
      if (parts.length < field.minItems) return { ok: false, message: field.minItems === 1 ? 'give at least one number' : `give at least ${field.minItems} numbers` };
      if (field.maxItems !== undefined && parts.length > field.maxItems) return { ok: false, message: `at most ${field.maxItems} numbers` };
      const values: number[] = [];
      for (const part of parts) {
        const parsed = parseNumber(part, field);
        if (!parsed.ok) return { ok: false, message: `"${part}": ${parsed.message}` };
        values.push(parsed.value as number);
      }
      return { ok: true, value: values };
    }
    case 'strings': {
      const parts = splitList(String(input));
      if (parts.length < field.minItems) return { ok: false, message: field.minItems === 1 ? 'give at least one name' : `give at least ${field.minItems} names` };
      if (field.maxItems !== undefined && parts.length > field.maxItems) return { ok: false, message: `at most ${field.maxItems} names` };
      const max = field.maxLength;
      const long = max !== undefined ? parts.find((p) => p.length > max) : undefined;
      if (long !== undefined) return { ok: false, message: `"${long.slice(0, 20)}…" is longer than ${max} characters` };
      return { ok: true, value: parts };
    }
    case 'text': {
      const text = String(input).trim();
      if (field.maxLength !== undefined && text.length > field.maxLength) return { ok: false, message: `at most ${field.maxLength} characters` };
      if (field.minLength !== undefined && text.length < field.minLength) return { ok: false, message: 'cannot be empty' };
      return { ok: true, value: text };
    }
  }
}

function parseNumber(text: string, field: { integer: boolean; min?: number; max?: number; keyword?: string }): Parsed {
  const trimmed = text.trim();
  if (field.keyword !== undefined && trimmed.toLowerCase() === field.keyword) return { ok: true, value: field.keyword };
  if (trimmed === '') return { ok: false, message: field.keyword !== undefined ? `enter a number or ${field.keyword}` : 'enter a number' };
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return { ok: false, message: field.keyword !== undefined ? `not a number or ${field.keyword}` : 'not a number' };
  if (field.integer && !Number.isInteger(value)) return { ok: false, message: 'must be a whole number' };
  if (field.min !== undefined && value < field.min) return { ok: false, message: `must be at least ${field.min}` };
  if (field.max !== undefined && value > field.max) return { ok: false, message: `must be at most ${field.max}` };
  return { ok: true, value };
}

/** Lists are typed comma-separated (newlines work too, for long column lists). */
export const splitList = (text: string): string[] =>
  text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** A param value as the field shows it. */
export function displayValue(field: FieldSpec, value: unknown): string | boolean {
  if (field.control === 'checkbox') return value === true;
  if (Array.isArray(value)) return value.join(', ');
  return value === undefined || value === null ? '' : String(value);
}
