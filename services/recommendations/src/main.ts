import { launch } from '@meshmart/kit/launch';

await launch('recommendations', () => import('./service.ts'));
