import type { Child } from '../processes.ts';

export type InfraName = 'postgres' | 'redis' | 'rabbitmq' | 'ferretdb' | 'jaeger' | 'prometheus' | 'smtp';

/** One piece of private infrastructure under .data/. */
export interface InfraComponent {
  name: InfraName;
  /** Open when it is up; an open port also means an instance to reuse. */
  port: number;
  /**
   * Ports of the other processes it starts (FerretDB's PostgreSQL): it is up only when
   * every one is open as well.
   */
  alsoOn?: number[];
  /** Stricter readiness than the open port, where the port opens early. */
  ready?: () => Promise<boolean>;
  /** Prepares data and configuration and starts it; children in start order. */
  start(): Promise<Child[]>;
  /** Runs once it is up, whether started now or reused (e.g. creating databases). */
  afterReady?(): Promise<void>;
}
