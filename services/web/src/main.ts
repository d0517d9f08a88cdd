import { launch } from '@meshmart/kit/launch';

await launch('web', () => import('./service.ts'));
