/** The shell: header and navigation, the page for the current path, the last call's trace. */
import './styles.css';
import type { ComponentType } from 'preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { recentCalls } from './api.ts';
import { cart } from './cart.ts';
import { AccountPage, NotificationsPage, refreshUnread, SignInPage, unread } from './pages/account.tsx';
import { BatchPage } from './pages/batch.tsx';
import { CartPage } from './pages/checkout.tsx';
import { LinksPage } from './pages/links.tsx';
import { OrderDetailPage, OrdersPage } from './pages/orders.tsx';
import { SearchBox, SearchPage } from './pages/search.tsx';
import { ProductDetailPage, StorePage } from './pages/store.tsx';
import { TracePage } from './pages/trace.tsx';
import { location, match } from './router.ts';
import { session } from './session.ts';
import { useStore } from './store.ts';
import { ErrorBox, Link, Loading, PageTitle, useInterval } from './ui.tsx';

type AdminModule = typeof import('./pages/admin.tsx');

/** The admin pages and their charting library load only when an admin opens them. */
function AdminPage({ which }: { which: 'dashboard' | 'products' }) {
  const [mod, setMod] = useState<AdminModule | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    import('./pages/admin.tsx').then(setMod, setError);
  }, []);
  if (error) return <ErrorBox error={error} />;
  if (!mod) return <Loading what="the admin pages" />;
  const Page: ComponentType = which === 'dashboard' ? mod.DashboardPage : mod.ProductsAdminPage;
  return <Page />;
}

function SignedIn({ children, admin = false }: { children: () => preact.JSX.Element; admin?: boolean }) {
  const user = useStore(session.user);
  if (!user) return <SignInPage />;
  if (admin && !user.roles.includes('admin')) return <ErrorBox error={new Error('This page is for admins.')} />;
  return children();
}

function Page() {
  const url = useStore(location);
  const path = url.pathname;
  const product = match('/products/:id', path);
  const order = match('/orders/:id', path);
  const trace = match('/trace/:id', path);
  if (path === '/') return <StorePage category={url.searchParams.get('category')} />;
  if (product) return <ProductDetailPage id={product.id ?? ''} />;
  if (path === '/search') return <SearchPage params={url.searchParams} />;
  if (path === '/cart') return <CartPage />;
  if (path === '/orders') return <SignedIn>{() => <OrdersPage />}</SignedIn>;
  if (order) return <SignedIn>{() => <OrderDetailPage id={order.id ?? ''} />}</SignedIn>;
  if (path === '/account') return <SignedIn>{() => <AccountPage user={session.user.value ?? never()} />}</SignedIn>;
  if (path === '/notifications') return <SignedIn>{() => <NotificationsPage />}</SignedIn>;
  if (path === '/links') return <SignedIn>{() => <LinksPage />}</SignedIn>;
  if (path === '/qr/batch') return <SignedIn>{() => <BatchPage />}</SignedIn>;
  if (path === '/admin') return <SignedIn admin>{() => <AdminPage which="dashboard" />}</SignedIn>;
  if (path === '/admin/products') return <SignedIn admin>{() => <AdminPage which="products" />}</SignedIn>;
  if (trace) return <SignedIn admin>{() => <TracePage traceId={trace.id ?? ''} />}</SignedIn>;
  return (
    <div>
      <PageTitle>Not found</PageTitle>
      <p>
        Nothing lives at {path}. <Link href="/">Back to the store</Link>
      </p>
    </div>
  );
}

function never(): never {
  throw new Error('unreachable: signed in without a user');
}

function Header() {
  const user = useStore(session.user);
  const lines = useStore(cart);
  const count = useStore(unread);
  const url = useStore(location);
  useInterval(() => void refreshUnread().catch(() => undefined), 3000, user !== null);
  useEffect(() => {
    if (user) void refreshUnread().catch(() => undefined);
    else unread.value = 0;
  }, [user]);
  const items = lines.reduce((n, l) => n + l.quantity, 0);
  const current = (href: string) => (url.pathname === href ? 'page' : undefined);
  return (
    <header class="top">
      <Link href="/" class="brand">
        meshmart
      </Link>
      <SearchBox initial={url.pathname === '/search' ? (url.searchParams.get('q') ?? '') : ''} />
      <nav aria-label="Main">
        <Link href="/" aria-current={current('/')}>
          Store
        </Link>
        <Link href="/cart" aria-current={current('/cart')}>
          Cart
          {items > 0 && (
            <span class="count">
              {items}
              <span class="visually-hidden"> items</span>
            </span>
          )}
        </Link>
        {user && (
          <>
            <Link href="/orders" aria-current={current('/orders')}>
              Orders
            </Link>
            <Link href="/links" aria-current={current('/links')}>
              Links
            </Link>
            <Link href="/notifications" aria-current={current('/notifications')} data-testid="notifications-link">
              Notifications
              {count > 0 && (
                <span class="count">
                  <span data-testid="unread-count">{count}</span>
                  <span class="visually-hidden"> unread</span>
                </span>
              )}
            </Link>
            {user.roles.includes('admin') && (
              <Link href="/admin" aria-current={current('/admin')}>
                Admin
              </Link>
            )}
          </>
        )}
        <Link href="/account" aria-current={current('/account')}>
          {user ? user.displayName : 'Sign in'}
        </Link>
      </nav>
    </header>
  );
}

function TraceBar() {
  const calls = useStore(recentCalls);
  const user = useStore(session.user);
  const [latest, ...earlier] = calls;
  // The trace route is admin-only (traces carry other people's requests): no link others could not follow.
  if (!latest || !user?.roles.includes('admin')) return null;
  return (
    <footer class="trace-bar">
      <p>
        <span class="muted">
          Last call: {latest.method} {latest.path} → {latest.status}
        </span>{' '}
        <Link href={`/trace/${latest.traceId}`} data-testid="open-trace">
          What did the mesh do?
        </Link>
      </p>
      {earlier.length > 0 && (
        <details>
          <summary>Earlier calls</summary>
          <ul>
            {earlier.map((c) => (
              <li key={c.traceId}>
                <Link href={`/trace/${c.traceId}`}>
                  {c.method} {c.path} → {c.status}
                </Link>
              </li>
            ))}
          </ul>
        </details>
      )}
    </footer>
  );
}

function App() {
  return (
    <>
      <a href="#main" class="skip">
        Skip to content
      </a>
      <Header />
      <main id="main">
        <Page />
      </main>
      <TraceBar />
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
