/**
 * What a click records about where it came from: the referring host and the client
 * family, never the full Referer or User-Agent (they can carry personal data and make
 * top-10 lists useless).
 */

export const DIRECT = '(direct)';
export const UNKNOWN = '(unknown)';
/** Headers longer than this are cut before parsing; a redirect never fails over them. */
const MAX_HEADER = 4096;

export function referrerHost(referrer: string): string {
  if (!referrer) return DIRECT;
  try {
    // Any scheme with a host counts (android-app://com.example tells where a tap came from).
    const host = new URL(referrer.slice(0, MAX_HEADER).trim()).hostname.replace(/\.$/, '');
    return host ? host.slice(0, 255) : DIRECT;
  } catch {
    return DIRECT;
  }
}

/**
 * Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari", and most
 * bots pretend to be a browser too.
 */
const FAMILIES: Array<[RegExp, string]> = [
  [/Googlebot/i, 'Googlebot'],
  [/bingbot/i, 'Bingbot'],
  [/facebookexternalhit|Facebot/i, 'Facebook'],
  [/Twitterbot/i, 'Twitterbot'],
  [/Slackbot/i, 'Slackbot'],
  [/bot\b|crawler|spider|crawling/i, 'Other bot'],
  [/^curl\//i, 'curl'],
  [/^Wget\//i, 'Wget'],
  [/python-requests|python-urllib|aiohttp/i, 'Python'],
  [/Go-http-client/i, 'Go'],
  [/^(node-fetch|undici|node|axios)\b/i, 'Node.js'],
  [/okhttp/i, 'OkHttp'],
  [/PostmanRuntime/i, 'Postman'],
  [/Edg(e|A|iOS)?\//, 'Edge'],
  [/OPR\/|Opera/, 'Opera'],
  [/SamsungBrowser\//, 'Samsung Internet'],
  [/Firefox\/|FxiOS\//, 'Firefox'],
  [/Chrome\/|CriOS\/|Chromium\//, 'Chrome'],
  [/Version\/[\d.]+.*Safari\//, 'Safari'],
];

export function userAgentFamily(userAgent: string): string {
  const ua = userAgent.slice(0, MAX_HEADER).trim();
  if (!ua) return UNKNOWN;
  for (const [pattern, family] of FAMILIES) if (pattern.test(ua)) return family;
  return 'Other';
}
