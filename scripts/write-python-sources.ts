// Regenerates app/codegen/python/sources.generated.ts from app/codegen/python/*.py (a test fails when it is stale).
import { writeFileSync } from 'node:fs';
import { PYTHON_SOURCES_FILE, renderPythonSources } from './python-sources';

writeFileSync(PYTHON_SOURCES_FILE, renderPythonSources());
console.log('wrote app/codegen/python/sources.generated.ts');
