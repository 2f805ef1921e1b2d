#!/usr/bin/env node
// Generates both TypeScript clients from the document a running taskvars server serves:
//
//   TASKVARS_SPEC_URL=http://127.0.0.1:PORT/engine-rest/openapi.json npm run generate
//
//   openapi-ts -i $TASKVARS_SPEC_URL -o src/generated/heyapi        (@hey-api/openapi-ts)
//   openapi-typescript $TASKVARS_SPEC_URL -o src/generated/schema.d.ts (for openapi-fetch)
//
// Both run with their default settings. The script fails (exit 1) when either generator
// exits non-zero, writes anything to stderr, or prints a warning or an error: a document
// that makes a generator complain is a bug in the document.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const specUrl = process.env.TASKVARS_SPEC_URL;
if (!specUrl) {
  console.error(
    'TASKVARS_SPEC_URL is not set; e.g. TASKVARS_SPEC_URL=http://127.0.0.1:8080/engine-rest/openapi.json',
  );
  process.exit(2);
}

const bin = (name) => join(root, 'node_modules', '.bin', name);
const stripAnsi = (text) => text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
// Words and signs the two generators use for problems (hey-api: "❌ Failed", "⚠";
// openapi-typescript/Redocly: "✘", "⚠", "warning", "error").
const complaint = /\b(warn(ing)?s?|errors?|fail(ed|ure)?|deprecated|invalid)\b|[⚠✘✗✖❌]/i;

const jobs = [
  {
    name: 'openapi-ts',
    dir: join(root, 'src', 'generated', 'heyapi'),
    args: ['-i', specUrl, '-o', 'src/generated/heyapi'],
  },
  {
    name: 'openapi-typescript',
    dir: join(root, 'src', 'generated', 'schema.d.ts'),
    args: [specUrl, '-o', 'src/generated/schema.d.ts'],
  },
];

let failed = false;
for (const job of jobs) {
  rmSync(job.dir, { recursive: true, force: true });
  console.log(`$ ${job.name} ${job.args.join(' ')}`);
  const run = spawnSync(bin(job.name), job.args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  const stdout = stripAnsi(run.stdout ?? '');
  const stderr = stripAnsi(run.stderr ?? '');
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  const problems = [];
  if (run.error) problems.push(`could not run: ${run.error.message}`);
  if (run.status !== 0) problems.push(`exited with ${run.status ?? run.signal}`);
  if (stderr.trim() !== '') problems.push('wrote to stderr');
  // The address itself is echoed; do not let a host or path name count as a complaint.
  const lines = stdout.split('\n').map((line) => line.split(specUrl).join('<spec>'));
  const complaints = lines.filter((line) => complaint.test(line));
  if (complaints.length > 0) problems.push(`printed: ${complaints.join(' | ').trim()}`);
  if (problems.length > 0) {
    console.error(`generate: ${job.name} ${problems.join('; ')}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
