import { launch } from '@meshmart/kit/launch';

await launch('qr', () => import('./service.ts'));
