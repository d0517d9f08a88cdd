/** Helpers shared by the tests of every package; a devDependency only, never shipped. */

export { freePort, freePorts } from '@meshmart/stack';
export { deliverEvent } from './events.ts';
export { eventually } from './eventually.ts';
export {
  APPROVED_CARD,
  checkoutBody,
  checkoutSetup,
  GatewayClient,
  type Problem,
  type ServerSentEvent,
  serverSentEvents,
  stockedProduct,
} from './gateway.ts';
export { infraForThisRun, type ServiceOnScratchDatabase, startOnScratchDatabase } from './infra.ts';
export { followed, metric } from './metrics.ts';
export { type Credentials, gatewayTestEnv, newAdmin, startGatewayStack } from './stack.ts';
export { type TestTokens, testTokens } from './tokens.ts';
