import { launch } from '@meshmart/kit/launch';

await launch('notifications', () => import('./service.ts'));
