// GraphQL-over-HTTP conformance: runs graphql-http's server audits against a URL.
//
//   node tools/graphql_http_audit/audit.mjs http://127.0.0.1:8000/graphql
//
// Prints one line per audit (status, id, name; the reason and the response of
// each failure below it) and exits 1 when any MUST audit fails, or crashes (a
// fatal error, e.g. the server is unreachable, counts as a failure); failing
// SHOULD (warn) and MAY (notice) audits are reported but do not fail the run.
// Exit 2: bad usage.

import { serverAudits } from 'graphql-http';

const TIMEOUT_MS = 10_000; // per request: a hanging server fails the audit, not the run

const url = process.argv[2];
if (!url || process.argv.length > 3) {
  console.error('usage: node audit.mjs <graphql endpoint URL>');
  process.exit(2);
}

function fetchWithTimeout(input, init = {}) {
  return fetch(input, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
}

async function describe(response) {
  if (!response) return '';
  let body = '';
  try {
    body = await response.clone().text();
  } catch {
    body = '<unreadable body>';
  }
  if (body.length > 500) body = `${body.slice(0, 500)}...`;
  return `${response.status} ${response.headers.get('content-type') ?? '-'} ${body}`;
}

async function run(audit) {
  try {
    return await audit.fn();
  } catch (error) {
    // graphql-http rethrows anything that is not an assertion failure: a fatal error.
    const requirement = audit.name.split(' ', 1)[0];
    return {
      id: audit.id,
      name: audit.name,
      status: requirement === 'MUST' ? 'error' : requirement === 'SHOULD' ? 'warn' : 'notice',
      reason: `fatal: ${error?.stack ?? error}`,
    };
  }
}

const results = [];
for (const audit of serverAudits({ url, fetchFn: fetchWithTimeout })) {
  results.push(await run(audit)); // one at a time: readable output, no load on the server
}

const mustFailures = [];
for (const result of results) {
  console.log(`${result.status.padEnd(6)} ${result.id} ${result.name}`);
  if (result.status !== 'ok') {
    console.log(`       reason: ${result.reason}`);
    const response = await describe(result.response);
    if (response) console.log(`       response: ${response}`);
  }
  if (result.name.startsWith('MUST') && result.status !== 'ok') mustFailures.push(result);
}

const count = (status) => results.filter((r) => r.status === status).length;
console.log(
  `\n${results.length} audits: ${count('ok')} ok, ${count('error')} error (MUST), ` +
    `${count('warn')} warn (SHOULD), ${count('notice')} notice (MAY)`,
);
if (mustFailures.length > 0) {
  console.log(`FAILED MUST audits: ${mustFailures.map((r) => `${r.id} ${r.name}`).join('; ')}`);
  process.exit(1);
}
