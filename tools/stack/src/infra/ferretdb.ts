import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { mongoUrl } from '@meshmart/kit/deployment/local-target';
import { infraDir, toolsBin } from '../paths.ts';
import { infraPorts } from '../ports.ts';
import { startChild } from '../processes.ts';
import type { InfraComponent } from './component.ts';

export { mongoUrl };

export const ferretdb: InfraComponent = {
  name: 'ferretdb',
  port: infraPorts.ferretdb,
  async start() {
    const binary = path.join(toolsBin, 'ferretdb');
    if (!existsSync(binary)) throw new Error(`${binary} is missing; run npm run setup`);
    const dir = infraDir('ferretdb');
    await mkdir(path.join(dir, 'sqlite'), { recursive: true });
    const args = [
      '--handler=sqlite',
      `--sqlite-url=file:${path.join(dir, 'sqlite')}/`,
      `--state-dir=${dir}`,
      `--listen-addr=127.0.0.1:${infraPorts.ferretdb}`,
      `--debug-addr=127.0.0.1:${infraPorts.ferretdbDebug}`,
      '--telemetry=disable',
      '--log-level=warn',
    ];
    return [startChild({ name: 'ferretdb', command: binary, args, output: 'file', outlive: true })];
  },
};
