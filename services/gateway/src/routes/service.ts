import type { ServiceName } from '@meshmart/kit/topology';
import type { RouteTarget } from '../routes.ts';

/** Routes answered by `app`'s endpoint at `path`, reached through the sidecar. */
export const service =
  (app: ServiceName) =>
  (path: string): RouteTarget => ({ kind: 'service', app, path });
