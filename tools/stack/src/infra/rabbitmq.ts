import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { localCredentials } from '../credentials.ts';
import { infraDir } from '../paths.ts';
import { infraPorts } from '../ports.ts';
import { startChild } from '../processes.ts';
import { assertPortBindable, isPortOpen, waitForAll } from '../readiness.ts';
import type { InfraComponent } from './component.ts';

export function rabbitmqUrl(): string {
  const { user, password } = localCredentials.rabbitmq;
  return `amqp://${user}:${password}@127.0.0.1:${infraPorts.rabbitmq}`;
}

const NODE_NAME = 'meshmart@localhost';

/**
 * Everything RabbitMQ would otherwise take from /etc/rabbitmq, /var/lib/rabbitmq and the
 * system epmd lives under .data/rabbitmq, so the node is private and runs as any user.
 */
function environment(dir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: dir, // where Erlang looks for .erlang.cookie
    RABBITMQ_NODENAME: NODE_NAME,
    RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_LOGS: '-',
    RABBITMQ_DIST_PORT: String(infraPorts.rabbitmqDist),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_PORT: String(infraPorts.rabbitmqEpmd),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
}

/** rabbitmqctl against the private node, e.g. for a test's own virtual host. */
export async function rabbitmqctl(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('/usr/lib/rabbitmq/bin/rabbitmqctl', ['-n', NODE_NAME, ...args], {
    env: environment(infraDir('rabbitmq')),
    timeout: 30_000,
  });
  return stdout;
}

async function writeConfiguration(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'mnesia'), { recursive: true });
  await mkdir(path.join(dir, 'log'), { recursive: true });
  const { user, password } = localCredentials.rabbitmq;
  await writeFile(
    path.join(dir, 'rabbitmq.conf'),
    [
      `listeners.tcp.default = 127.0.0.1:${infraPorts.rabbitmq}`,
      `default_user = ${user}`,
      `default_pass = ${password}`,
      'default_permissions.configure = .*',
      'default_permissions.read = .*',
      'default_permissions.write = .*',
      'log.console = true',
      'log.console.level = warning',
      'log.file = false',
      '',
    ].join('\n'),
  );
  await writeFile(path.join(dir, 'rabbitmq-env.conf'), '');
  await writeFile(path.join(dir, 'enabled_plugins'), '[].\n');
  const cookie = path.join(dir, '.erlang.cookie');
  if (!existsSync(cookie)) await writeFile(cookie, randomBytes(24).toString('hex'), { mode: 0o400 });
}

export const rabbitmq: InfraComponent = {
  name: 'rabbitmq',
  port: infraPorts.rabbitmq,
  async start() {
    const dir = infraDir('rabbitmq');
    await writeConfiguration(dir);
    const env = environment(dir);
    const children = [];
    // Before epmd starts, so a refusal leaves nothing running.
    await assertPortBindable(infraPorts.rabbitmqDist, "rabbitmq's Erlang distribution");
    // Our own epmd, run in the foreground, so it stops with the stack instead of lingering
    // as the daemon Erlang would otherwise spawn.
    if (!(await isPortOpen(infraPorts.rabbitmqEpmd))) {
      await assertPortBindable(infraPorts.rabbitmqEpmd, "rabbitmq's epmd");
      const epmd = startChild({
        name: 'epmd',
        command: 'epmd',
        args: ['-port', String(infraPorts.rabbitmqEpmd), '-address', '127.0.0.1'],
        env,
        output: 'file',
        outlive: true,
      });
      children.push(epmd);
      await waitForAll([{ label: 'epmd', ready: () => isPortOpen(infraPorts.rabbitmqEpmd), child: epmd }], {
        title: 'rabbitmq',
        timeoutMs: 10_000,
        quiet: true,
      });
    }
    // Debian's /usr/sbin wrapper insists on the rabbitmq user and its log folder; the
    // script it wraps runs as anyone.
    children.push(
      startChild({
        name: 'rabbitmq',
        command: '/usr/lib/rabbitmq/bin/rabbitmq-server',
        args: [],
        env,
        cwd: dir,
        output: 'file',
        outlive: true,
      }),
    );
    return children;
  },
};
