import { launch } from '@meshmart/kit/launch';

await launch('inventory', () => import('./service.ts'));
