// Log lines batched per turn of the event loop: none is lost at exit, and one turn's lines go out in one write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const logging = fileURLToPath(new URL('../../src/common/logging.ts', import.meta.url));

/** runs `body` in a fresh node with createLogger imported; returns its stdout */
function run(body: string): { stdout: string; status: number | null } {
  const script = `import { createLogger } from ${JSON.stringify(logging)};\nconst log = createLogger('info');\n${body}`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  return { stdout: r.stdout, status: r.status };
}

const messages = (out: string) => out.trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg);

test('batched log output: lines logged right before process.exit are written', () => {
  const r = run(`for (let i = 0; i < 3; i++) log.info('line ' + i);\nprocess.exit(3);`);
  assert.equal(r.status, 3);
  assert.deepEqual(messages(r.stdout), ['line 0', 'line 1', 'line 2']);
});

test('batched log output: lines logged right before an uncaught exception are written', () => {
  const r = run(`log.info('before');\nsetImmediate(() => { log.error('last words'); throw new Error('boom'); });`);
  assert.notEqual(r.status, 0);
  assert.deepEqual(messages(r.stdout), ['before', 'last words']);
});

test("batched log output: a turn's lines go out at the end of the turn, together and in order", () => {
  const r = run(`
import { writeSync } from 'node:fs';
for (let i = 0; i < 5; i++) log.info('a' + i);
writeSync(1, JSON.stringify({ msg: 'marker' }) + '\\n'); // written at once, so before the batch
setImmediate(() => { log.info('b0'); log.info('b1'); });
`);
  assert.deepEqual(messages(r.stdout), ['marker', 'a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1']);
});
