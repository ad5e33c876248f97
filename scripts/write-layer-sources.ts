// Regenerates app/codegen/layer-sources.generated.ts from app/compile/layers/*.ts (a test fails when it is stale).
import { writeFileSync } from 'node:fs';
import { LAYER_SOURCES_FILE, renderLayerSources } from './layer-sources';

writeFileSync(LAYER_SOURCES_FILE, renderLayerSources());
console.log('wrote app/codegen/layer-sources.generated.ts');
