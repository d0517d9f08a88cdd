import { launch } from '@meshmart/kit/launch';

await launch('payments', () => import('./service.ts'));
