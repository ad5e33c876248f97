// Regenerates schema/graph.schema.json from the zod schemas (a test fails when it is stale).
import { writeFileSync } from 'node:fs';
import { graphJsonSchema } from '../app/graph/json-schema';

writeFileSync(new URL('../schema/graph.schema.json', import.meta.url), `${JSON.stringify(graphJsonSchema(), null, 2)}\n`);
console.log('wrote schema/graph.schema.json');
