import { launch } from '@meshmart/kit/launch';

await launch('orders', () => import('./service.ts'));
