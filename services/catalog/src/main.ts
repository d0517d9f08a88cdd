import { launch } from '@meshmart/kit/launch';

await launch('catalog', () => import('./service.ts'));
