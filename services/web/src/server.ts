/** Wires the web service together: the built app read into memory, served behind its sidecar. */
import { createApp, createLogger, finishApp, type RunningServer, Sidecar, serveService, sidecarReadiness } from '@meshmart/kit';
import type { WebConfig } from './config.ts';
import { loadAssets, serveStatic } from './static-files.ts';

export async function startWeb(config: WebConfig, options: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  const logger = createLogger('web', config.LOG_LEVEL);
  const files = await loadAssets(config.ASSETS_DIR);
  const sidecar = new Sidecar({ daprHttpPort: config.DAPR_HTTP_PORT, daprApiToken: config.DAPR_API_TOKEN });
  const service = createApp({
    service: 'web',
    logger,
    appToken: config.APP_API_TOKEN,
    readiness: sidecarReadiness(sidecar, 'web'),
    capability: 'the web UI',
  });
  const serve = serveStatic(files);
  // Any GET is a file or a client-side route; the gateway sends only such paths here.
  service.router.get('{/*path}', serve);
  logger.info('serving the web UI', { dir: config.ASSETS_DIR, files: files.size });
  return serveService(finishApp(service), config, {
    logger,
    handleSignals: options.handleSignals,
    onDrain: service.setDraining,
  });
}
