import assert from 'node:assert/strict';
import { isAlive, recordedProcesses, startChild } from '../src/processes.ts';

describe('child processes', () => {
  it('stops the whole process group, including what the child forked', async () => {
    const child = startChild({
      name: 'test-forker',
      command: 'sh',
      args: ['-c', 'sleep 60 & echo $!; wait'],
      output: 'file',
    });
    let grandchild = 0;
    for (let i = 0; i < 50 && !grandchild; i++) {
      await new Promise((r) => setTimeout(r, 50));
      grandchild = Number((await child.lastLines(1)).trim()) || 0;
    }
    assert.ok(grandchild > 0 && isAlive(grandchild), 'the grandchild started');
    await child.stop(2000);
    for (let i = 0; i < 20 && isAlive(grandchild); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(isAlive(grandchild), false);
    assert.ok(!recordedProcesses().some((r) => r.name === 'test-forker'), 'its pid file is gone');
  });

  it('reports an unexpected exit, but not a requested stop', async () => {
    const exits: Array<number | null> = [];
    const dying = startChild({ name: 'test-dying', command: 'sh', args: ['-c', 'exit 3'], output: 'file' });
    dying.onUnexpectedExit((info) => exits.push(info.code));
    await dying.exited;
    const stopped = startChild({ name: 'test-stopped', command: 'sleep', args: ['60'], output: 'file' });
    stopped.onUnexpectedExit((info) => exits.push(info.code));
    await stopped.stop();
    assert.deepEqual(exits, [3]);
  });

  it('reports a command that cannot start, with the reason in its log', async () => {
    const child = startChild({ name: 'test-missing', command: '/nonexistent/binary', args: [], output: 'file' });
    await child.exited;
    assert.equal(child.running, false);
    assert.match(await child.lastLines(1), /could not start \/nonexistent\/binary: .*ENOENT/);
  });
});
