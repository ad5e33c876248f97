import fc from 'fast-check';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { compileGraph, type CompiledGraph } from '../../../app/compile/to-tfjs';
import { RESERVED_IDENTIFIERS } from '../../../app/codegen/source';
import type { Graph } from '../../../app/graph/schema';
import { ALL_KINDS_NODES, BENIGN_TEXTS, allKindsGraph, generate, importModule, scratchDir, typeCheck, writeModules, type GraphTexts } from './support';

/**
 * Whatever users type as labels, names, columns and descriptions, the generated module means the
 * same code: the text only ever lands in string literals, comment-safe text or derived identifiers.
 * Each generated module is parsed with the TypeScript compiler and compared with the module of the
 * same graph under plain names: same syntax tree shape (so nothing was injected and no comment was
 * ended early), ASCII identifiers that are no reserved word, and string literals holding exactly
 * the user's text. Then all of them type-check in one tsc run, and some are built and compared with
 * compileGraph.
 */
const HOSTILE = [
  '', ' ', '*/', '/*', '*/ throw 1; /*', '`', '${x}', '`${process.exit(1)}`', "'", '"', "');", '\\', '\\u0041', '\n', '\r\n',
  '\u2028', '\u2029', '\u202e', '// x', '<!--', '-->', 'class', 'constructor', '__proto__', 'prototype', 'toString', 'tf', 'buildModel',
  'INPUTS', 'seedAt', 'seed', 'GateMixture', 'await', 'yield', 'let', 'enum', 'undefined', '0', '123abc', '😀', '\ud800', 'ünïcödé',
  '用户', 'x'.repeat(120), '\u0000', '\t', '#!', '@ts-expect-error', '@ts-ignore', '</script>', '{', '}', '(', ')', ';', '=>',
];

const hostile: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.array(fc.constantFrom(...HOSTILE), { minLength: 2, maxLength: 4 }).map((parts) => parts.join('')),
);

const cut = (s: string, n: number): string => s.slice(0, n);
const many = (n: number) => fc.array(hostile, { minLength: n, maxLength: n });

/** Hostile texts, made just distinct enough that the graph stays valid (unique ids, columns, prediction names). */
const hostileTexts: fc.Arbitrary<GraphTexts> = fc
  .record({
    name: hostile,
    description: hostile,
    labels: many(ALL_KINDS_NODES.length),
    ids: many(ALL_KINDS_NODES.length),
    outputNames: many(3),
    columns: many(6),
    labelColumns: many(2),
    table: hostile,
  })
  .map((t) => ({
    ...t,
    ids: t.ids.map((id, i) => `${id}#${i}`),
    outputNames: t.outputNames.map((n, i) => `${cut(n, 80)} ${i}`),
    columns: t.columns.map((c, i) => `${cut(c, 150)}#${i}`),
    labelColumns: t.labelColumns.map((c, i) => `${cut(c, 150)}@${i}`),
    table: `${cut(t.table, 150)}~table`, // never empty: an empty name means one table per column, another structure
  }));

/** Every node of the tree in pre-order, as its syntax kind: the shape of the code, without its text. */
function shape(source: ts.SourceFile): ts.SyntaxKind[] {
  const kinds: ts.SyntaxKind[] = [];
  const visit = (node: ts.Node) => {
    kinds.push(node.kind);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return kinds;
}

const parse = (code: string) => ts.createSourceFile('module.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);

function declaredNames(source: ts.SourceFile): string[] {
  const names: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isVariableDeclaration(node) || ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node)) && node.name && ts.isIdentifier(node.name)) {
      names.push(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

function identifiers(source: ts.SourceFile): string[] {
  const names: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isIdentifier(node)) names.push(node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

/** The string values of property `key` in the objects of the array literal `export const <name> = [...]`. */
function literalRows(source: ts.SourceFile, name: string): Record<string, unknown>[] {
  let rows: Record<string, unknown>[] | undefined;
  const value = (e: ts.Expression): unknown => {
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
    if (ts.isNumericLiteral(e)) return Number(e.text);
    if (e.kind === ts.SyntaxKind.NullKeyword) return null;
    if (ts.isArrayLiteralExpression(e)) return e.elements.map(value);
    return `<${ts.SyntaxKind[e.kind]}>`;
  };
  const visit = (node: ts.Node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === name && node.initializer) {
      let array: ts.Expression = node.initializer;
      while (ts.isSatisfiesExpression(array) || ts.isAsExpression(array)) array = array.expression;
      if (!ts.isArrayLiteralExpression(array)) throw new Error(`${name} is not an array literal`);
      rows = array.elements.map((row) =>
        Object.fromEntries(
          (row as ts.ObjectLiteralExpression).properties.map((p) => {
            const assignment = p as ts.PropertyAssignment;
            return [(assignment.name as ts.Identifier).text, value(assignment.initializer)];
          }),
        ),
      );
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (!rows) throw new Error(`no ${name} in the module`);
  return rows;
}

function compileOrThrow(graph: Graph): CompiledGraph {
  const result = compileGraph(graph);
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join('; '));
  return result.compiled;
}

const scratch = scratchDir('hostile');
afterAll(() => scratch.remove());

describe('hostile names', () => {
  const modules: { texts: GraphTexts; code: string }[] = [];

  it('never change the structure of the module, its identifiers or the text of its string literals', async () => {
    const benign = parse(await generate(allKindsGraph(BENIGN_TEXTS)));
    const benignShape = shape(benign);
    await fc.assert(
      fc.asyncProperty(hostileTexts, async (texts) => {
        const graph = allKindsGraph(texts);
        const code = await generate(graph);
        if (modules.length < 20) modules.push({ texts, code });
        const source = parse(code);

        expect(source.statements.length).toBe(benign.statements.length);
        expect(shape(source)).toEqual(benignShape);
        const header = ts.getLeadingCommentRanges(code, 0) ?? [];
        expect(header.length).toBe(1);
        expect(code.slice(header[0]?.pos, header[0]?.end)).toMatch(/^\/\*\*\n[^]*Generated by Towerflow [^]*\*\/$/);

        for (const name of identifiers(source)) expect(name).toMatch(/^[A-Za-z_$][A-Za-z0-9_$]*$/);
        for (const name of declaredNames(source)) expect(RESERVED_IDENTIFIERS.has(name), name).toBe(false);

        const compiled = compileOrThrow(graph);
        expect(literalRows(source, 'INPUTS')).toEqual(compiled.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: i.shape, columns: i.columns })));
        expect(literalRows(source, 'OUTPUTS').map((o) => [o.name, o.label])).toEqual(compiled.outputs.map((o) => [o.name, o.label ?? null]));
      }),
      { numRuns: 30 },
    );
  }, 60_000);

  it('type-check (one tsc run for all) and build the same model as compileGraph', async () => {
    expect(modules.length).toBeGreaterThan(0);
    const files = writeModules(scratch.dir, Object.fromEntries(modules.map((m, i) => [`hostile${i}`, m.code])));
    const checked = await typeCheck(files);
    const failing = modules.filter((_, i) => checked.output.includes(path.basename(files[i] as string)));
    expect(checked.output, `texts of the failing modules: ${JSON.stringify(failing.map((m) => m.texts))}`).toBe('');

    for (const [i, { texts }] of modules.slice(0, 6).entries()) {
      const { model: reference } = compileOrThrow(allKindsGraph(texts));
      const model = (await importModule(files[i] as string)).buildModel();
      expect(model.layers.map((l) => l.name)).toEqual(reference.layers.map((l) => l.name));
      expect(model.inputNames).toEqual(reference.inputNames);
      expect(model.outputNames).toEqual(reference.outputNames);
      expect(model.countParams()).toBe(reference.countParams());
    }
  }, 60_000);
});
