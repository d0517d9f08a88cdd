import { launch } from '@meshmart/kit/launch';

await launch('users', () => import('./service.ts'));
