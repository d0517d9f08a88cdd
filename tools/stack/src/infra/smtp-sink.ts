import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { infraDir } from '../paths.ts';
import { infraPorts } from '../ports.ts';
import { startChild } from '../processes.ts';
import type { InfraComponent } from './component.ts';

/** Where the sink stores each message it receives, one .eml file per message. */
export const mailDir = () => infraDir('mail');

export const smtpSink: InfraComponent = {
  name: 'smtp',
  port: infraPorts.smtp,
  async start() {
    const main = path.join(path.dirname(fileURLToPath(import.meta.url)), 'smtp-sink-main.ts');
    const args = ['--import', 'tsx', main, String(infraPorts.smtp), mailDir()];
    return [startChild({ name: 'smtp', command: process.execPath, args, output: 'file', outlive: true })];
  },
};
