/** Signing up and in, the profile, addresses and in-app notifications. */
import { useState } from 'preact/hooks';
import { call } from '../api.ts';
import { location, navigate } from '../router.ts';
import { session } from '../session.ts';
import { Store, useStore } from '../store.ts';
import type { AddressList, AddressRequest, NotificationPage, User } from '../types.ts';
import { AsyncStatus, ErrorBox, PageTitle, TextField, useAction, useAsync, when } from '../ui.tsx';

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
  const signing = useAction();
  const url = useStore(location);
  // Signing in where a page asked for it stays on that page.
  const next = url.searchParams.get('next') ?? `${url.pathname}${url.search}`;

  const submit = signing.submit(async () => {
    if (mode === 'up') await session.signUp(email, password, displayName);
    else await session.signIn(email, password);
    navigate(next.startsWith('/') ? next : '/account', { replace: true });
  });

  return (
    <form class="stack narrow" onSubmit={submit} aria-busy={signing.busy}>
      <PageTitle>{mode === 'up' ? 'Create an account' : 'Sign in'}</PageTitle>
      {mode === 'up' && (
        <TextField label="Name" name="displayName" autoComplete="name" value={displayName} onValue={setDisplayName} required />
      )}
      <TextField label="E-mail" name="email" type="email" autoComplete="email" value={email} onValue={setEmail} required />
      <TextField
        label="Password"
        hint={mode === 'up' ? 'At least 8 characters.' : undefined}
        name="password"
        type="password"
        autoComplete={mode === 'up' ? 'new-password' : 'current-password'}
        minLength={mode === 'up' ? 8 : 1}
        value={password}
        onValue={setPassword}
        required
      />
      <ErrorBox error={signing.error} />
      <button type="submit" disabled={signing.busy}>
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
  const saving = useAction();
  const addresses = useAsync((signal) => call<AddressList>('GET', '/api/users/me/addresses', { auth: true, signal }), []);

  const saveProfile = saving.submit(async () => {
    setSaved(false);
    session.user.value = await call<User>('PUT', '/api/users/me', { auth: true, body: { displayName: name } });
    setSaved(true);
  });

  return (
    <div class="stack">
      <PageTitle>Your account</PageTitle>
      <form class="stack narrow" onSubmit={saveProfile}>
        <h2>Profile</h2>
        <p class="muted">
          {user.email}
          {user.roles.length > 0 && ` · ${user.roles.join(', ')}`}
        </p>
        <TextField label="Name" value={name} onValue={setName} required maxLength={80} />
        <ErrorBox error={saving.error} />
        {saved && <p role="status">Saved.</p>}
        <button type="submit">Save profile</button>
      </form>
      <section>
        <h2>Addresses</h2>
        <AsyncStatus of={addresses} what="addresses" />
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
  const saving = useAction();
  /** An input's name, value and setter, all from its key in the request. */
  const bind = (key: keyof AddressRequest) => ({
    name: key,
    value: form[key] ?? '',
    onValue: (value: string) => setForm({ ...form, [key]: value }),
  });

  const submit = saving.submit(async () => {
    const body = { ...form, country: form.country.toUpperCase(), ...(form.label ? {} : { label: undefined }) };
    await call('POST', '/api/users/me/addresses', { auth: true, body });
    setForm(empty);
    onSaved();
  });

  return (
    <form class="stack narrow" onSubmit={submit} aria-label="New address">
      <h3>Add an address</h3>
      <TextField label="Label (optional)" {...bind('label')} maxLength={40} />
      <TextField label="Street and number" autoComplete="address-line1" {...bind('line1')} required />
      <div class="row">
        <TextField label="Postal code" autoComplete="postal-code" {...bind('postalCode')} required />
        <TextField label="City" autoComplete="address-level2" {...bind('city')} required />
        <TextField label="Country (2 letters)" autoComplete="country" {...bind('country')} required pattern="[A-Za-z]{2}" />
      </div>
      <ErrorBox error={saving.error} />
      <button type="submit">Save address</button>
    </form>
  );
}

export function NotificationsPage() {
  const page = useAsync((signal) => call<NotificationPage>('GET', '/api/notifications?limit=50', { auth: true, signal }), []);
  const marking = useAction();

  const markRead = (id: string) =>
    marking.run(async () => {
      await call('POST', `/api/notifications/${id}/read`, { auth: true });
      page.reload();
      await refreshUnread();
    });

  return (
    <div>
      <PageTitle>Notifications</PageTitle>
      <AsyncStatus of={page} what="notifications" />
      <ErrorBox error={marking.error} />
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
