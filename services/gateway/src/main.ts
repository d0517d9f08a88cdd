import { launch } from '@meshmart/kit/launch';

await launch('gateway', () => import('./service.ts'));
