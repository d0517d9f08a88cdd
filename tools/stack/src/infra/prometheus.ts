import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { infraDir } from '../paths.ts';
import { infraPorts } from '../ports.ts';
import { startChild } from '../processes.ts';
import { renderPrometheusConfig } from '../prometheus-config.ts';
import { isHttpOk } from '../readiness.ts';
import type { InfraComponent } from './component.ts';

export const prometheusUrl = `http://127.0.0.1:${infraPorts.prometheus}`;
const configFile = () => path.join(infraDir('prometheus'), 'prometheus.yml');

export const prometheus: InfraComponent = {
  name: 'prometheus',
  port: infraPorts.prometheus,
  ready: () => isHttpOk(`${prometheusUrl}/-/ready`),
  async start() {
    const dir = infraDir('prometheus');
    await mkdir(path.join(dir, 'data'), { recursive: true });
    await writeFile(configFile(), renderPrometheusConfig());
    const args = [
      `--config.file=${configFile()}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${infraPorts.prometheus}`,
      '--storage.tsdb.retention.time=7d',
      // Lets a later run reload a reused instance's scrape targets.
      '--web.enable-lifecycle',
    ];
    return [startChild({ name: 'prometheus', command: 'prometheus', args, output: 'file', outlive: true })];
  },
  async afterReady() {
    // A reused instance may have been started from an older topology.
    await writeFile(configFile(), renderPrometheusConfig());
    await fetch(`${prometheusUrl}/-/reload`, { method: 'POST' });
  },
};
