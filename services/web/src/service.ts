/** web declared: the built app read into memory, served behind its sidecar. */
import { defineService } from '@meshmart/kit';
import { webConfigSchema } from './config.ts';
import { loadAssets, serveStatic } from './static-files.ts';

export const service = defineService({
  name: 'web',
  config: webConfigSchema,
  capability: 'the web UI',
  compose: async ({ config, logger }) => {
    const files = await loadAssets(config.ASSETS_DIR);
    logger.info('serving the web UI', { dir: config.ASSETS_DIR, files: files.size });
    // Any GET is a file or a client-side route; the gateway sends only such paths here.
    return { routes: (router) => router.get('{/*path}', serveStatic(files)) };
  },
});
