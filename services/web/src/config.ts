import { fileURLToPath } from 'node:url';
import { env, serviceConfig } from '@meshmart/kit';

export const webConfigSchema = serviceConfig('web', {
  /** The built single-page app (`npm run build -w @meshmart/web`). */
  ASSETS_DIR: env.string(fileURLToPath(new URL('../dist', import.meta.url))),
});
