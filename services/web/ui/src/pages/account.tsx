/** Signing up and in, the profile, addresses and in-app notifications. */
import { useState } from 'preact/hooks';
import { call } from '../api.ts';
import { location, navigate } from '../router.ts';
import { session } from '../session.ts';
import { Store, useStore } from '../store.ts';
import type { AddressList, AddressRequest, NotificationPage, User } from '../types.ts';
import { ErrorBox, Field, Loading, PageTitle, useAsync, when } from '../ui.tsx';

/** Unread notifications, shown in the header; refreshed by the shell while signed in. */
export const unread = new Store<number>(0);

export async function refreshUnread(): Promise<void> {
  const page = await call<NotificationPage>('GET', '/api/notifications?unread=true&limit=1', { auth: true, background: true });
  unread.value = page.total;
}

export function SignInPage() {
  const [mode, setMode] = useState<'in' | 'up'>('in');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const url = useStore(location);
  // Signing in where a page asked for it stays on that page.
  const next = url.searchParams.get('next') ?? `${url.pathname}${url.search}`;

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'up') await session.signUp(email, password, displayName);
      else await session.signIn(email, password);
      navigate(next.startsWith('/') ? next : '/account', { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="stack narrow" onSubmit={submit} aria-busy={busy}>
      <PageTitle>{mode === 'up' ? 'Create an account' : 'Sign in'}</PageTitle>
      {mode === 'up' && (
        <Field label="Name">
          <input
            name="displayName"
            autoComplete="name"
            value={displayName}
            onInput={(e) => setDisplayName(e.currentTarget.value)}
            required
          />
        </Field>
      )}
      <Field label="E-mail">
        <input
          name="email"
          type="email"
          autoComplete="email"
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
          required
        />
      </Field>
      <Field label="Password" hint={mode === 'up' ? 'At least 8 characters.' : undefined}>
        <input
          name="password"
          type="password"
          autoComplete={mode === 'up' ? 'new-password' : 'current-password'}
          minLength={mode === 'up' ? 8 : 1}
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
          required
        />
      </Field>
      <ErrorBox error={error} />
      <button type="submit" disabled={busy}>
        {mode === 'up' ? 'Create account' : 'Sign in'}
      </button>
      <button type="button" class="link" onClick={() => setMode(mode === 'up' ? 'in' : 'up')}>
        {mode === 'up' ? 'I have an account: sign in' : 'New here? Create an account'}
      </button>
    </form>
  );
}

export function AccountPage({ user }: { user: User }) {
  const [name, setName] = useState(user.displayName);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const addresses = useAsync((signal) => call<AddressList>('GET', '/api/users/me/addresses', { auth: true, signal }), []);

  async function saveProfile(e: Event) {
    e.preventDefault();
    setError(null);
    setSaved(false);
    try {
      const updated = await call<User>('PUT', '/api/users/me', { auth: true, body: { displayName: name } });
      session.user.value = updated;
      setSaved(true);
    } catch (err) {
      setError(err);
    }
  }

  return (
    <div class="stack">
      <PageTitle>Your account</PageTitle>
      <form class="stack narrow" onSubmit={saveProfile}>
        <h2>Profile</h2>
        <p class="muted">
          {user.email}
          {user.roles.length > 0 && ` · ${user.roles.join(', ')}`}
        </p>
        <Field label="Name">
          <input value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={80} />
        </Field>
        <ErrorBox error={error} />
        {saved && <p role="status">Saved.</p>}
        <button type="submit">Save profile</button>
      </form>
      <section>
        <h2>Addresses</h2>
        {addresses.loading && !addresses.data && <Loading what="addresses" />}
        <ErrorBox error={addresses.error} retry={addresses.reload} />
        <ul class="list">
          {addresses.data?.items.map((a) => (
            <li key={a.id} class="card row spread">
              <span>{[a.label, a.line1, a.line2, `${a.postalCode} ${a.city}`, a.country].filter(Boolean).join(', ')}</span>
              <button
                type="button"
                class="link"
                onClick={async () => {
                  await call('DELETE', `/api/users/me/addresses/${a.id}`, { auth: true }).catch(() => undefined);
                  addresses.reload();
                }}
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
        <AddressForm onSaved={addresses.reload} />
      </section>
      <button type="button" class="secondary" onClick={() => session.signOut().then(() => navigate('/'))}>
        Sign out
      </button>
    </div>
  );
}

export function AddressForm({ onSaved }: { onSaved: () => void }) {
  const empty: AddressRequest = { label: '', line1: '', city: '', postalCode: '', country: '' };
  const [form, setForm] = useState<AddressRequest>(empty);
  const [error, setError] = useState<unknown>(null);
  const set = (key: keyof AddressRequest) => (e: { currentTarget: HTMLInputElement }) =>
    setForm({ ...form, [key]: e.currentTarget.value });

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      const body = { ...form, country: form.country.toUpperCase(), ...(form.label ? {} : { label: undefined }) };
      await call('POST', '/api/users/me/addresses', { auth: true, body });
      setForm(empty);
      onSaved();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <form class="stack narrow" onSubmit={submit} aria-label="New address">
      <h3>Add an address</h3>
      <Field label="Label (optional)">
        <input value={form.label} onInput={set('label')} maxLength={40} />
      </Field>
      <Field label="Street and number">
        <input name="line1" autoComplete="address-line1" value={form.line1} onInput={set('line1')} required />
      </Field>
      <div class="row">
        <Field label="Postal code">
          <input name="postalCode" autoComplete="postal-code" value={form.postalCode} onInput={set('postalCode')} required />
        </Field>
        <Field label="City">
          <input name="city" autoComplete="address-level2" value={form.city} onInput={set('city')} required />
        </Field>
        <Field label="Country (2 letters)">
          <input
            name="country"
            autoComplete="country"
            value={form.country}
            onInput={set('country')}
            required
            pattern="[A-Za-z]{2}"
          />
        </Field>
      </div>
      <ErrorBox error={error} />
      <button type="submit">Save address</button>
    </form>
  );
}

export function NotificationsPage() {
  const page = useAsync((signal) => call<NotificationPage>('GET', '/api/notifications?limit=50', { auth: true, signal }), []);
  const [error, setError] = useState<unknown>(null);

  async function markRead(id: string) {
    setError(null);
    try {
      await call('POST', `/api/notifications/${id}/read`, { auth: true });
      page.reload();
      await refreshUnread();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <div>
      <PageTitle>Notifications</PageTitle>
      {page.loading && !page.data && <Loading what="notifications" />}
      <ErrorBox error={page.error ?? error} retry={page.reload} />
      {page.data && page.data.items.length === 0 && <p>Nothing yet.</p>}
      <ul class="list">
        {page.data?.items.map((n) => (
          <li key={n.id} class={n.read ? 'card' : 'card unread'}>
            <div class="row spread">
              <strong>{n.title}</strong>
              <time class="muted" dateTime={n.createdAt}>
                {when(n.createdAt)}
              </time>
            </div>
            <p>{n.body}</p>
            {!n.read && (
              <button type="button" class="link" onClick={() => markRead(n.id)}>
                Mark as read
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
