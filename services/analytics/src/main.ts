import { launch } from '@meshmart/kit/launch';

await launch('analytics', () => import('./service.ts'));
