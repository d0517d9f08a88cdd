/** Client-side routes on the History API: the web service answers every such path with index.html. */
import { Store } from './store.ts';

export const location = new Store<URL>(new URL(window.location.href));

/**
 * Set by a navigation within the app, cleared by the next page title to appear: that
 * title takes the focus, so a keyboard or screen-reader user continues from the new page's
 * top instead of from wherever the link they followed used to be.
 */
export const focusNextTitle = { pending: false };

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  focusNextTitle.pending = true;
  location.value = new URL(window.location.href);
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => {
  location.value = new URL(window.location.href);
});

/** `/orders/:id` against a path: the named parts, or null when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.replace(/\/+$/, '').split('/');
  if (path === '/' && pattern === '/') return {};
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? '';
    const g = got[i] ?? '';
    if (w.startsWith(':')) params[w.slice(1)] = decodeURIComponent(g);
    else if (w !== g) return null;
  }
  return params;
}
