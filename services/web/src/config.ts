import { fileURLToPath } from 'node:url';
import { env, loadConfig, serviceConfig } from '@meshmart/kit';
import type { z } from 'zod';

export const webConfigSchema = serviceConfig('web', {
  /** The built single-page app (`npm run build -w @meshmart/web`). */
  ASSETS_DIR: env.string(fileURLToPath(new URL('../dist', import.meta.url))),
});

export type WebConfig = z.infer<typeof webConfigSchema>;

export function loadWebConfig(source: NodeJS.ProcessEnv = process.env): WebConfig {
  return loadConfig(webConfigSchema, source);
}
