import { nameRecord } from '../data/records';
import { UsageError } from './io';

/** Parsers for option values typed on the command line; a bad value is a usage error naming the option. */
export function intOption(name: string, value: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

export function numberOption(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${value}"`);
  return n;
}

export function choiceOption<T extends string>(name: string, value: string | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${value}"`);
  return value as T;
}

/** `name=1.5,other=2` → { name: 1.5, other: 2 } */
export function weightsOption(name: string, value: string | undefined): Record<string, number> | undefined {
  if (value === undefined) return undefined;
  const out = nameRecord<number>();
  for (const part of value.split(',')) {
    const [key, raw] = part.split('=');
    const weight = Number(raw);
    if (!key || raw === undefined || !Number.isFinite(weight) || weight < 0) throw new UsageError(`--${name} takes task=weight pairs like "income=1,marital=0.5", got "${value}"`);
    out[key.trim()] = weight;
  }
  return out;
}
