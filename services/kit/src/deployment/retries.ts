/**
 * Who retries what, per kind of call and target. Exactly one transport layer may retry a
 * call (Envoy on the invocation hop, daprd on component calls and deliveries); the saga,
 * the outbox and the mail sender retry on top only as business steps that carry an
 * idempotency key. Every layer is bounded: `retryViolations` checks it, and the plan's
 * Resiliency and the mesh's routes are printed from the same numbers.
 */

import { resiliencyPolicies, retryWindowMs } from './resiliency.ts';
import type { Target } from './target.ts';

/** The layers that may retry. `transport` layers cannot tell a replay from a first try. */
export const retryLayers = {
  envoy: 'transport',
  daprd: 'transport',
  saga: 'business',
  outbox: 'business',
  'mail-sender': 'business',
} as const;
export type RetryLayer = keyof typeof retryLayers;

export interface Retrying {
  layer: RetryLayer;
  /** Tries in all, the first one included; Infinity means unbounded. */
  tries: number;
  /** On what a try is repeated. */
  on: string;
  /** What makes a repeated try safe; business layers must name it. */
  idempotencyKey?: string;
}

export interface CallRetries {
  call: string;
  examples: string;
  retries: Record<Target, Retrying[]>;
}

/**
 * Envoy's retry of the invocation hop, printed into every `<app>-invoke` VirtualService:
 * only failures where the request provably did not reach the app.
 */
export const meshRetries = {
  attempts: 2,
  retryOn: 'connect-failure,refused-stream,unavailable',
  ingressRetryOn: 'connect-failure,refused-stream',
} as const;

/** Bounds of the business layers: the defaults of the settings each service reads. */
export const businessRetryBounds = {
  /** orders' STEP_ATTEMPTS: tries per saga step. */
  sagaStepAttempts: 3,
  /**
   * orders' STEP_CONTENTION_BUDGET_MS: how long "busy, call again" answers are not counted
   * as tries; past it they count, so the step stays bounded in time as well.
   */
  sagaContentionBudgetMs: 20_000,
  /** OUTBOX_MAX_ATTEMPTS: failures about a row before it is parked. */
  outboxMaxAttempts: 10,
  /** notifications' EMAIL_MAX_ATTEMPTS: sends before a mail is marked failed. */
  emailMaxAttempts: 20,
} as const;

/**
 * How long a subscriber app may be gone (killed, restarted, rolled out) without an event
 * it had already been handed being dead-lettered: the delivery policy's shortest window
 * must cover it. Events published meanwhile are not handed to it at all: daprd's app health
 * check (sidecar.ts, appHealthProbe) stops pulling them, so they wait in the broker.
 */
export const subscriberRestartAllowanceMs = 30_000;

/** daprd's DaprBuiltInServiceRetries: 3 retries, 1 s apart, on gRPC Unavailable between sidecars. */
const daprBuiltInServiceTries = 4;

const tries = (maxRetries: number) => (maxRetries < 0 ? Number.POSITIVE_INFINITY : maxRetries + 1);

const envoyHop: Retrying = {
  layer: 'envoy',
  tries: meshRetries.attempts,
  on: meshRetries.retryOn,
};
const daprdHop: Retrying = {
  layer: 'daprd',
  tries: daprBuiltInServiceTries,
  on: 'gRPC Unavailable between the sidecars: the request never reached the app',
};
const sagaStep: Retrying = {
  layer: 'saga',
  tries: businessRetryBounds.sagaStepAttempts,
  on: `a transient answer (unavailable, timeout) from inventory or payments; "busy" answers within ${businessRetryBounds.sagaContentionBudgetMs / 1000} s do not count`,
  idempotencyKey: 'reservation id = order id; charge and refund keys derived from the order id',
};

export const callRetries: CallRetries[] = [
  {
    call: 'ingress → public app',
    examples: 'a client request entering the gateway',
    // Locally clients reach the gateway directly; nothing stands between them to retry.
    retries: { local: [], cluster: [{ layer: 'envoy', tries: meshRetries.attempts, on: meshRetries.ingressRetryOn }] },
  },
  {
    call: 'invocation (app → sidecar → sidecar → app)',
    examples: 'gateway → catalog, search → catalog, gateway → links (gRPC)',
    retries: { local: [daprdHop], cluster: [envoyHop] },
  },
  {
    call: 'saga step: orders → inventory, orders → payments',
    examples: 'Reserve, Commit, Release stock; POST /charges, /refunds',
    // Locally orders' sidecar puts a breaker and no retries in front of payments; the
    // built-in hop retry still covers inventory.
    retries: { local: [daprdHop, sagaStep], cluster: [envoyHop, sagaStep] },
  },
  {
    call: 'component call (state, configuration, secrets, blob binding, publish)',
    examples: 'the gateway rate limiter, flags, users admin secret, QR blobs, the outbox publish',
    retries: {
      local: [],
      cluster: [
        {
          layer: 'daprd',
          tries: tries(resiliencyPolicies.retries.component.maxRetries),
          on: 'any error of the component, within its breaker',
        },
      ],
    },
  },
  {
    call: 'e-mail send through the smtp binding',
    examples: 'notifications mailing an order confirmation',
    // Not daprd: a retried SMTP send can deliver the same mail twice.
    retries: {
      local: [mailSender()],
      cluster: [mailSender()],
    },
  },
  {
    call: 'pub/sub delivery (broker → sidecar → subscriber)',
    examples: 'payment.succeeded to orders, every topic to analytics',
    // After the last try daprd publishes the event to `deadletters` and acks it; the broker
    // requeues only when that publish fails, which starts another bounded round.
    retries: { local: [delivery()], cluster: [delivery()] },
  },
  {
    call: 'outbox relay publish',
    examples: 'order.paid written with the order, published afterwards',
    retries: {
      local: [outboxRelay()],
      cluster: [
        {
          layer: 'daprd',
          tries: tries(resiliencyPolicies.retries.component.maxRetries),
          on: 'any error of the component, within its breaker',
        },
        outboxRelay(),
      ],
    },
  },
];

function delivery(): Retrying {
  const window = retryWindowMs(resiliencyPolicies.retries.delivery);
  return {
    layer: 'daprd',
    tries: tries(resiliencyPolicies.retries.delivery.maxRetries),
    on: `the handler answering RETRY, failing or unreachable, for ${Math.floor(window.least / 1000)}–${Math.ceil(window.most / 1000)} s`,
  };
}

function mailSender(): Retrying {
  return {
    layer: 'mail-sender',
    tries: businessRetryBounds.emailMaxAttempts,
    on: 'the relay refusing or failing a send',
    idempotencyKey: 'the mail row: sent once it is marked, a retried send is the same row',
  };
}

function outboxRelay(): Retrying {
  return {
    layer: 'outbox',
    tries: businessRetryBounds.outboxMaxAttempts,
    on: 'failures about the row (OUTBOX_MAX_ATTEMPTS, then parked); an outage pauses the relay with backoff',
    idempotencyKey: 'the event id: subscribers skip an event id they processed',
  };
}

/** What breaks the rules above, one line per problem; empty when nothing does. */
export function retryViolations(calls: readonly CallRetries[]): string[] {
  return calls.flatMap((c) =>
    (Object.entries(c.retries) as Array<[Target, Retrying[]]>).flatMap(([target, layers]) => {
      const problems: string[] = [];
      const unbounded = layers.filter((l) => !Number.isFinite(l.tries));
      for (const l of unbounded) problems.push(`${c.call} (${target}): ${l.layer} retries without bound`);
      if (unbounded.length > 1) problems.push(`${c.call} (${target}): ${unbounded.length} unbounded retry layers`);
      const transport = layers.filter((l) => retryLayers[l.layer] === 'transport');
      if (transport.length > 1) {
        problems.push(`${c.call} (${target}): ${transport.map((l) => l.layer).join(' and ')} both retry the transport`);
      }
      for (const l of layers) {
        if (l.tries < 1) problems.push(`${c.call} (${target}): ${l.layer} makes ${l.tries} tries`);
        if (retryLayers[l.layer] === 'business' && !l.idempotencyKey) {
          problems.push(`${c.call} (${target}): ${l.layer} retries without an idempotency key`);
        }
      }
      return problems;
    }),
  );
}
