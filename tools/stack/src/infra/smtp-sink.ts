import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { infraDir } from '../paths.ts';
import { infraPorts } from '../ports.ts';
import { startChild } from '../processes.ts';
import type { InfraComponent } from './component.ts';

/** Where the sink stores each message it receives, one .eml file per message. */
export const mailDir = () => infraDir('mail');

/**
 * The sink's Node arguments. It uses Node's built-ins only and TypeScript that Node 24
 * runs by stripping the types, so no TypeScript loader stays resident beside it.
 */
export function smtpSinkArgs(port: number, dir: string): string[] {
  return [path.join(path.dirname(fileURLToPath(import.meta.url)), 'smtp-sink-main.ts'), String(port), dir];
}

export const smtpSink: InfraComponent = {
  name: 'smtp',
  port: infraPorts.smtp,
  async start() {
    const args = smtpSinkArgs(infraPorts.smtp, mailDir());
    return [startChild({ name: 'smtp', command: process.execPath, args, output: 'file', outlive: true })];
  },
};
