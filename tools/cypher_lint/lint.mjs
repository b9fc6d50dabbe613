// Lints Cypher statements with Neo4j's own language service (semantic analysis,
// not only parsing), so statements that only FalkorDB accepts fail in CI.
//
// stdin: a JSON object {name: statement}.
// argv:  optional --schema '{"labels": [...], "relationshipTypes": [...]}'
//        (with a schema, unknown labels and types are reported as warnings).
// exit:  1 when any statement has an error (severity 1), 2 on bad input.
import { readFileSync } from 'node:fs';
import { lintCypherQuery, isNotParamError } from '@neo4j-cypher/language-support';

const SEVERITY = { 1: 'error', 2: 'warning', 3: 'info', 4: 'hint' };
// Deliberate: FalkorDB has no `CALL (x) { ... }`, so the portable form is the
// importing `CALL { WITH x ... }` that Neo4j 5 deprecates (see ENGINES.md).
const ACCEPTED_WARNINGS = ['CALL subquery without a variable scope clause is deprecated'];

function reported(d) {
  // Parameters are bound at run time: "Parameter $x is not defined" is noise here.
  if (!isNotParamError(d)) return false;
  return d.severity === 1 || !ACCEPTED_WARNINGS.some((m) => d.message.startsWith(m));
}

function parseArgs(argv) {
  const i = argv.indexOf('--schema');
  return i >= 0 ? JSON.parse(argv[i + 1]) : {};
}

let statements;
let schema;
try {
  statements = JSON.parse(readFileSync(0, 'utf8'));
  schema = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(`lint.mjs: bad input: ${err.message}`);
  process.exit(2);
}
if (statements === null || typeof statements !== 'object' || Array.isArray(statements)) {
  console.error('lint.mjs: stdin must be a JSON object {name: statement}');
  process.exit(2);
}

// Neo4j 5 is production: lint as Cypher 5 unless the schema says otherwise.
const dbSchema = { defaultLanguage: 'CYPHER 5', ...schema };
let errors = 0;
let warnings = 0;
for (const [name, query] of Object.entries(statements)) {
  const { diagnostics } = lintCypherQuery(query, dbSchema);
  for (const d of diagnostics.filter(reported)) {
    const where = `${d.range.start.line + 1}:${d.range.start.character + 1}`;
    console.log(`${name}:${where}: ${SEVERITY[d.severity] ?? d.severity}: ${d.message}`);
    if (d.severity === 1) errors += 1;
    else warnings += 1;
  }
}
const count = Object.keys(statements).length;
console.log(`${count} statements linted: ${errors} errors, ${warnings} warnings`);
process.exit(errors > 0 ? 1 : 0);
