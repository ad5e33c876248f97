// Regenerates templates/*.json from scripts/template-definitions.ts (a test fails when they drift).
import { writeFileSync } from 'node:fs';
import { serializeGraph } from '../app/graph/serialize';
import { TEMPLATES } from './template-definitions';

for (const [file, make] of Object.entries(TEMPLATES)) {
  writeFileSync(new URL(`../templates/${file}.json`, import.meta.url), serializeGraph(make(), '../schema/graph.schema.json'));
  console.log(`wrote templates/${file}.json`);
}
