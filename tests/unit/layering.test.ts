import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** The core under app/ must stay free of the desktop shell and the UI; the lint rule enforces it. */
describe('layering lint rule', () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const lint = async (code: string, filePath: string) => (await eslint.lintText(code, { filePath }))[0]?.messages ?? [];

  it.each([
    ["import { app } from 'electron';", 'electron'],
    ["import * as React from 'react';", 'react'],
    ["import { ReactFlow } from '@xyflow/react';", '@xyflow/react'],
    ["import * as monaco from 'monaco-editor';", 'monaco-editor'],
    ["import { x } from '../../renderer/state';", 'renderer'],
  ])('refuses %s in app/', async (code) => {
    const messages = await lint(`${code}\nexport const y = 1;\n`, 'app/graph/example.ts');
    expect(messages.map((m) => m.ruleId)).toContain('no-restricted-imports');
  });

  it('allows the same import outside app/', async () => {
    const messages = await lint("import * as React from 'react';\nexport const y = React;\n", 'renderer/example.ts');
    expect(messages.filter((m) => m.ruleId === 'no-restricted-imports')).toEqual([]);
  });
});
