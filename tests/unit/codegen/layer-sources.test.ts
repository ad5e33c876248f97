import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CUSTOM_LAYERS, LAYER_HELPERS } from '../../../app/codegen/layer-sources.generated';
import { usedLayerUnits } from '../../../app/codegen/module';
import { NODE_KINDS } from '../../../app/nodes/registry';
import { LAYER_SOURCES_FILE, renderLayerSources } from '../../../scripts/layer-sources';
import { loadTemplate } from '../../helpers/plain';
import { allKindsGraph, generate } from './support';

/** The layer code generated modules carry is app/compile/layers itself, extracted by a script. */
describe('layer sources', () => {
  it('app/codegen/layer-sources.generated.ts is fresh (run `npx tsx scripts/write-layer-sources.ts` after changing a layer)', () => {
    expect(readFileSync(LAYER_SOURCES_FILE, 'utf8')).toBe(renderLayerSources());
  });

  it('hold every custom layer under the className it registers with', () => {
    expect(Object.keys(CUSTOM_LAYERS).sort()).toEqual([
      'TowerflowDice',
      'TowerflowDinActivationUnit',
      'TowerflowFusedEmbedding',
      'TowerflowGateMixture',
      'TowerflowMaskedPooling',
      'TowerflowPaddingMask',
      'TowerflowStackExperts',
      'TowerflowWeightedSum',
    ]);
    for (const [className, unit] of Object.entries(CUSTOM_LAYERS)) {
      expect(unit.source).toContain(`static readonly className = '${className}';`);
      expect(unit.source).toContain(`tf.serialization.registerClass(${unit.identifier});`);
      expect(unit.source).not.toMatch(/^\s*(import|export)\b/m);
    }
  });

  it('know which helpers of layer-base each layer needs, transitively', () => {
    const units = usedLayerUnits(new Set(['TowerflowDinActivationUnit']));
    expect(units.map((u) => u.identifier)).toEqual([
      'BaseLayerArgs', 'Kwargs', 'toList', 'shapeList', 'ACTIVATION_FNS', 'PARAMETRIC_ACTIVATION_NAMES', 'activationFn', 'DICE_EPSILON', 'DICE_MOMENTUM', 'dice', 'DinActivationUnit',
    ]);
    expect(usedLayerUnits(new Set(['TowerflowDice'])).map((u) => u.identifier)).toEqual(['BaseLayerArgs', 'Kwargs', 'toList', 'shapeList', 'DICE_EPSILON', 'DICE_MOMENTUM', 'dice', 'Dice']);
    expect(usedLayerUnits(new Set(['TowerflowPaddingMask'])).map((u) => u.identifier)).toEqual(['BaseLayerArgs', 'PaddingMask']);
    expect(Object.keys(LAYER_HELPERS)).toContain('Kwargs');
  });
});

describe('generated modules carry', () => {
  const classes = (code: string) => [...code.matchAll(/^class (\w+) extends tf\.layers\.Layer/gm)].map((m) => m[1]);
  const registrations = (code: string) => [...code.matchAll(/^tf\.serialization\.registerClass\((\w+)\);$/gm)].map((m) => m[1]);

  it.each([
    ['shared-bottom', ['FusedEmbedding']],
    ['mmoe', ['FusedEmbedding', 'GateMixture']],
    ['esmm', ['FusedEmbedding']],
    ['din', ['DinActivationUnit', 'PaddingMask', 'WeightedSum']],
  ])('%s: only the custom layers it uses, once each, each registered', async (name, expected) => {
    const code = await generate(loadTemplate(name));
    expect(classes(code)).toEqual(expected);
    expect(registrations(code)).toEqual(expected);
    expect(code.includes('function activationFn')).toBe(name === 'din');
  });

  it('all of them for a graph with every kind', async () => {
    const code = await generate(allKindsGraph());
    expect(classes(code)).toEqual(['DinActivationUnit', 'FusedEmbedding', 'GateMixture', 'MaskedPooling', 'PaddingMask', 'StackExperts', 'WeightedSum']);
  });
});

describe('node kinds', () => {
  it('each have an emitter next to their builder', () => {
    for (const kind of NODE_KINDS) {
      expect(typeof kind.build, kind.kind).toBe('function');
      expect(typeof kind.emit, kind.kind).toBe('function');
    }
  });
});
