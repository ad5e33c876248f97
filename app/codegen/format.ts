import * as prettier from 'prettier/standalone';
import * as estree from 'prettier/plugins/estree';
import * as typescript from 'prettier/plugins/typescript';

/**
 * Prettier's standalone build with its TypeScript parser: no file system, no config lookup, so the
 * same bytes come out in Node, in the CLI and in a browser renderer. The options are fixed here
 * rather than read from a project config, for the same reason.
 */
export const PRETTIER_OPTIONS = { parser: 'typescript', printWidth: 100, singleQuote: true, trailingComma: 'all' } as const;

export function formatTypeScript(code: string): Promise<string> {
  return prettier.format(code, { ...PRETTIER_OPTIONS, plugins: [estree, typescript] });
}
