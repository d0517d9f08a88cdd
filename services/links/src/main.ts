import { launch } from '@meshmart/kit/launch';

await launch('links', () => import('./service.ts'));
