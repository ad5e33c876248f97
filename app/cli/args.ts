import { parseArgs, type ParseArgsConfig } from 'node:util';
import { nameRecord } from '../data/records';
import { UsageError } from './io';

/**
 * parseArgs for a command, with usage errors a person can act on: an unknown option names the known
 * one it is closest to ("unknown option --epoch; did you mean --epochs?"), and an option given
 * without its value says so. Anything else parseArgs refuses keeps its own message.
 */
export function parseCommandArgs<const T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  const known = config.options ?? {};
  const { tokens } = parseArgs({ ...config, strict: false, tokens: true });
  for (const token of tokens ?? []) {
    if (token.kind !== 'option') continue;
    if (!Object.hasOwn(known, token.name)) {
      const near = closestName(token.name, Object.keys(known));
      throw new UsageError(`unknown option ${token.rawName}${near === undefined ? '' : `; did you mean --${near}?`}`);
    }
    if (known[token.name]?.type === 'string' && token.value === undefined) throw new UsageError(`${token.rawName} needs a value`);
  }
  return parseArgs(config);
}

/** The name a typo most likely meant: one it begins (--early → --early-stopping), else one at most two edits away. */
export function closestName(typed: string, names: readonly string[]): string | undefined {
  const starts = names.filter((name) => typed.length >= 2 && name.startsWith(typed));
  if (starts.length === 1) return starts[0];
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of names) {
    const distance = editDistance(typed, name);
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

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
