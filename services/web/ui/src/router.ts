/** Client-side routes on the History API: the web service answers every such path with index.html. */
import { Store } from './store.ts';

export const location = new Store<URL>(new URL(window.location.href));

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
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
