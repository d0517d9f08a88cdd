import { launch } from '@meshmart/kit/launch';

await launch('search', () => import('./service.ts'));
