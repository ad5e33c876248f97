import { readFileSync, readdirSync } from 'node:fs';
import ts from 'typescript';

/**
 * The custom layers in app/compile/layers/*.ts are the single source of truth for the layer code
 * that generated model files carry. This reads them with the TypeScript compiler API and renders
 * app/codegen/layer-sources.generated.ts: each layer file as one unit (its declarations and its
 * registerClass call, imports and `export`s dropped), and each declaration of layer-base.ts as a
 * helper unit, with the helpers every unit refers to. `scripts/write-layer-sources.ts` writes it;
 * a test fails while it is stale.
 */

const LAYERS_DIR = new URL('../app/compile/layers/', import.meta.url);
const HELPERS_FILE = 'layer-base.ts';
export const LAYER_SOURCES_FILE = new URL('../app/codegen/layer-sources.generated.ts', import.meta.url);

export interface Unit {
  /** Helper key (the declared name) or the registered className of a layer. */
  key: string;
  /** The name code refers to it by: the helper's name, or the layer's class name. */
  identifier: string;
  file: string;
  declares: string[];
  needs: string[];
  statements: number;
  source: string;
}

function parse(file: string): ts.SourceFile {
  const text = readFileSync(new URL(file, LAYERS_DIR), 'utf8');
  return ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

/** Only `import * as tf from '@tensorflow/tfjs'` and imports from layer-base can be carried into a generated file. */
function checkImport(file: string, statement: ts.ImportDeclaration): void {
  const from = (statement.moduleSpecifier as ts.StringLiteral).text;
  const bindings = statement.importClause?.namedBindings;
  const tfNamespace = from === '@tensorflow/tfjs' && bindings !== undefined && ts.isNamespaceImport(bindings) && bindings.name.text === 'tf';
  if (!tfNamespace && from !== './layer-base') {
    throw new Error(`${file}: layers may import only \`* as tf\` from '@tensorflow/tfjs' and helpers from './layer-base' (found '${from}'), so their code can be copied into generated files`);
  }
}

/** The statement's text with its leading comment, without an `export` keyword. */
function statementSource(source: ts.SourceFile, statement: ts.Statement): string {
  const full = statement.getFullText(source);
  const offset = statement.getFullStart();
  const exported = ts.canHaveModifiers(statement) ? ts.getModifiers(statement)?.find((m) => m.kind === ts.SyntaxKind.ExportKeyword) : undefined;
  const text = exported ? full.slice(0, exported.getStart(source) - offset) + full.slice(exported.getEnd() - offset).replace(/^\s+/, '') : full;
  return text.replace(/^\s*\n/, '').trimEnd();
}

function declaredNames(statement: ts.Statement): string[] {
  if (ts.isVariableStatement(statement)) {
    return statement.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []));
  }
  if (
    (ts.isFunctionDeclaration(statement) ||
      ts.isClassDeclaration(statement) ||
      ts.isInterfaceDeclaration(statement) ||
      ts.isTypeAliasDeclaration(statement)) &&
    statement.name
  ) {
    return [statement.name.text];
  }
  return [];
}

/** Identifiers a statement refers to (property names after a dot excluded). */
function referencedNames(statement: ts.Node): Set<string> {
  const names = new Set<string>();
  const visit = (node: ts.Node) => {
    if (ts.isIdentifier(node) && !(ts.isPropertyAccessExpression(node.parent) && node.parent.name === node)) names.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(statement);
  return names;
}

function staticClassName(statement: ts.Statement): string | undefined {
  if (!ts.isClassDeclaration(statement)) return undefined;
  for (const member of statement.members) {
    if (
      ts.isPropertyDeclaration(member) &&
      ts.isIdentifier(member.name) &&
      member.name.text === 'className' &&
      member.initializer &&
      ts.isStringLiteral(member.initializer)
    ) {
      return member.initializer.text;
    }
  }
  return undefined;
}

export function extractHelpers(): Unit[] {
  const source = parse(HELPERS_FILE);
  const statements = source.statements.filter((s) => !ts.isImportDeclaration(s));
  const all = new Set(statements.flatMap(declaredNames));
  return statements.map((statement) => {
    const [key, ...more] = declaredNames(statement);
    if (key === undefined || more.length > 0) throw new Error(`${HELPERS_FILE}: every top-level statement must declare exactly one name`);
    const needs = [...referencedNames(statement)].filter((n) => all.has(n) && n !== key);
    return { key, identifier: key, file: HELPERS_FILE, declares: [key], needs, statements: 1, source: statementSource(source, statement) };
  });
}

export function extractLayers(helperNames: ReadonlySet<string>): Unit[] {
  const files = readdirSync(LAYERS_DIR)
    .filter((f) => f.endsWith('.ts') && f !== HELPERS_FILE)
    .sort();
  return files.map((file) => {
    const source = parse(file);
    const body: ts.Statement[] = [];
    for (const statement of source.statements) {
      if (ts.isImportDeclaration(statement)) checkImport(file, statement);
      else body.push(statement);
    }
    const classes = body.flatMap((s) => {
      const name = staticClassName(s);
      return name !== undefined && ts.isClassDeclaration(s) && s.name ? [{ key: name, identifier: s.name.text }] : [];
    });
    const [layer, ...more] = classes;
    if (layer === undefined || more.length > 0) throw new Error(`${file}: expected exactly one layer class with a static className`);
    const registers = body.some((s) => ts.isExpressionStatement(s) && s.getText(source).startsWith('tf.serialization.registerClass('));
    if (!registers) throw new Error(`${file}: the layer must be registered with tf.serialization.registerClass`);
    const referenced = new Set(body.flatMap((s) => [...referencedNames(s)]));
    return {
      ...layer,
      file,
      declares: body.flatMap(declaredNames),
      needs: [...helperNames].filter((n) => referenced.has(n)),
      statements: body.length,
      source: body.map((s) => statementSource(source, s)).join('\n\n'),
    };
  });
}

const unitLiteral = (u: Unit): string =>
  [
    `  ${/^[A-Za-z_$][\w$]*$/.test(u.key) ? u.key : JSON.stringify(u.key)}: {`,
    `    identifier: ${JSON.stringify(u.identifier)},`,
    `    file: ${JSON.stringify(u.file)},`,
    `    declares: ${JSON.stringify(u.declares)},`,
    `    needs: ${JSON.stringify(u.needs)},`,
    `    statements: ${u.statements},`,
    `    source: ${JSON.stringify(u.source)},`,
    '  },',
  ].join('\n');

/** The text of app/codegen/layer-sources.generated.ts. */
export function renderLayerSources(): string {
  const helpers = extractHelpers();
  const layers = extractLayers(new Set(helpers.map((h) => h.key)));
  return [
    '// Generated by scripts/write-layer-sources.ts from app/compile/layers/*.ts. Do not edit: change the layers,',
    '// then run `npx tsx scripts/write-layer-sources.ts` (a test fails while this file is stale).',
    '',
    '/** Source of one piece of the custom-layer code, as generated model files include it. */',
    'export interface SourceUnit {',
    '  /** The name code refers to it by: the helper\'s name, or the layer\'s class name. */',
    '  readonly identifier: string;',
    '  /** The file in app/compile/layers/ it comes from. */',
    '  readonly file: string;',
    '  /** Top-level names it declares. */',
    '  readonly declares: readonly string[];',
    '  /** Keys of the LAYER_HELPERS it refers to. */',
    '  readonly needs: readonly string[];',
    '  /** How many top-level statements it adds to a module. */',
    '  readonly statements: number;',
    '  readonly source: string;',
    '}',
    '',
    '/** Declarations of layer-base.ts, by name, in file order. */',
    'export const LAYER_HELPERS: Readonly<Record<string, SourceUnit>> = {',
    ...helpers.map(unitLiteral),
    '};',
    '',
    '/** Each custom layer file, by the className its layer registers under, in file order. */',
    'export const CUSTOM_LAYERS: Readonly<Record<string, SourceUnit>> = {',
    ...layers.map(unitLiteral),
    '};',
    '',
  ].join('\n');
}
