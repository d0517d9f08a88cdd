/**
 * The user journeys of `npm run load`, as an Artillery script: open-loop arrivals at a
 * fixed rate, each arrival one journey picked by weight. A `before` flow registers one
 * new shopper (a random address, so a script can be run again as it is) with a postal
 * address and a short link, whom the journeys then act as. The cluster's load Job runs
 * the same script (cdk8s/src/load).
 */
/** `90`, `90s`, `2m` or `1h` as seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`duration ${text}: expected e.g. 30s, 2m or 1h`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 's' | 'm' | 'h'];
}

export interface LoadOptions {
  /** Base URL of the gateway, e.g. http://127.0.0.1:3000. */
  target: string;
  /** New journeys per second. */
  rate: number;
  durationSeconds: number;
}

/** Journeys and how often each is picked, relative to the others. */
export const journeys = ['browse', 'sign in', 'checkout', 'shorten and follow', 'QR code'] as const;

const json = { 'content-type': 'application/json' };
const bearer = { authorization: 'Bearer {{ accessToken }}' };

export function loadScript(options: LoadOptions): Record<string, unknown> {
  const flows: Record<(typeof journeys)[number], { weight: number; flow: unknown[] }> = {
    browse: {
      weight: 5,
      flow: [
        { get: { url: '/api/products?limit=20', capture: { json: '$.items[0].id', as: 'productId' } } },
        { get: { url: '/api/products/{{ productId }}' } },
      ],
    },
    'sign in': {
      weight: 2,
      flow: [
        {
          post: {
            url: '/api/auth/login',
            json: { email: '{{ email }}', password: '{{ password }}' },
            capture: { json: '$.accessToken', as: 'freshToken' },
          },
        },
        { get: { url: '/api/users/me', headers: { authorization: 'Bearer {{ freshToken }}' } } },
      ],
    },
    checkout: {
      weight: 1,
      flow: [
        { get: { url: '/api/products?limit=1&sort=name', capture: { json: '$.items[0].id', as: 'productId' } } },
        {
          post: {
            url: '/api/orders',
            headers: { ...bearer, 'idempotency-key': 'load-{{ $randomString(16) }}' },
            json: {
              items: [{ productId: '{{ productId }}', quantity: 1 }],
              shippingAddressId: '{{ addressId }}',
              card: { number: '4242424242424242', expMonth: 12, expYear: new Date().getFullYear() + 2, cvc: '123' },
            },
          },
        },
      ],
    },
    'shorten and follow': {
      weight: 3,
      flow: [
        {
          post: {
            url: '/api/links',
            headers: bearer,
            json: { url: 'https://example.com/load/{{ $randomString(8) }}' },
            capture: { json: '$.code', as: 'code' },
          },
        },
        { get: { url: '/s/{{ code }}', followRedirect: false } },
        { get: { url: '/s/{{ linkCode }}', followRedirect: false } },
      ],
    },
    'QR code': {
      weight: 1,
      flow: [
        {
          post: {
            url: '/api/qr',
            headers: bearer,
            json: { content: 'https://meshmart.local/load/{{ $randomString(8) }}', format: 'svg' },
          },
        },
      ],
    },
  };
  return {
    config: {
      target: options.target,
      phases: [{ name: 'steady', duration: options.durationSeconds, arrivalRate: options.rate }],
      http: { timeout: 10 },
      variables: { password: 'load test password' },
    },
    before: {
      flow: [
        {
          post: {
            url: '/api/auth/register',
            headers: json,
            json: { email: 'load-{{ $randomString(12) }}@meshmart.test', password: '{{ password }}', displayName: 'Load' },
            capture: { json: '$.email', as: 'email' },
          },
        },
        {
          post: {
            url: '/api/auth/login',
            json: { email: '{{ email }}', password: '{{ password }}' },
            capture: { json: '$.accessToken', as: 'accessToken' },
          },
        },
        {
          post: {
            url: '/api/users/me/addresses',
            headers: bearer,
            json: { line1: '1 Load Street', city: 'Lisbon', postalCode: '1000-001', country: 'PT' },
            capture: { json: '$.id', as: 'addressId' },
          },
        },
        {
          post: {
            url: '/api/links',
            headers: bearer,
            json: { url: 'https://example.com/load' },
            capture: { json: '$.code', as: 'linkCode' },
          },
        },
      ],
    },
    scenarios: journeys.map((name) => ({ name, ...flows[name] })),
  };
}
