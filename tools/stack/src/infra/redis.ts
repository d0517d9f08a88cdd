import { mkdir } from 'node:fs/promises';
import { infraDir } from '../paths.ts';
import { infraPorts } from '../ports.ts';
import { startChild } from '../processes.ts';
import type { InfraComponent } from './component.ts';

export const redisUrl = `redis://127.0.0.1:${infraPorts.redis}`;

export const redis: InfraComponent = {
  name: 'redis',
  port: infraPorts.redis,
  async start() {
    const dir = infraDir('redis');
    await mkdir(dir, { recursive: true });
    // State, sessions and caches are rebuilt by the services: no snapshots, no AOF.
    // Keyspace notifications are what Dapr's configuration.redis follows flag changes through.
    const args = [
      '--bind',
      '127.0.0.1',
      '--port',
      String(infraPorts.redis),
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--notify-keyspace-events',
      'KEA',
    ];
    return [startChild({ name: 'redis', command: 'redis-server', args, output: 'file', outlive: true })];
  },
};
