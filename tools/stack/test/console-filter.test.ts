import assert from 'node:assert/strict';
import { worthShowing } from '../src/processes.ts';

describe('npm start console: warnings and errors only', () => {
  it('shows warnings and errors of services and sidecars, and what a crash prints', () => {
    for (const line of [
      '{"level":"warn","message":"dependency unavailable","service":"gateway"}',
      '{"level":"error","message":"request failed"}',
      '{"app_id":"users","level":"warning","msg":"App health check failed","scope":"dapr.runtime"}',
      '{"level":"fatal","msg":"Fatal error from runtime"}',
      "TypeError: Cannot read properties of undefined (reading 'id')",
      '    at main (/repo/services/users/src/main.ts:12:3)',
      '{"truncated": ',
    ]) {
      assert.equal(worthShowing(line), true, line);
    }
  });

  it('keeps routine lines off the console', () => {
    for (const line of [
      '{"level":"info","message":"listening","port":3000,"service":"gateway"}',
      '{"app_id":"gateway","level":"info","msg":"Dapr runtime started","scope":"dapr.runtime"}',
      '{"level":"debug","msg":"component loaded"}',
      '{"level":"http","message":"request"}',
      '',
    ]) {
      assert.equal(worthShowing(line), false, line);
    }
  });
});
