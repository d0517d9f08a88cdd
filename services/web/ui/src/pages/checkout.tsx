/** The cart and checkout: a shipping address, one of the simulated processor's test cards. */
import { useState } from 'preact/hooks';
import { ApiError, call } from '../api.ts';
import { cart, clearCart, setQuantity } from '../cart.ts';
import { navigate } from '../router.ts';
import { session } from '../session.ts';
import { useStore } from '../store.ts';
import type { AddressList, Order } from '../types.ts';
import { ErrorBox, Field, Link, Loading, PageTitle, useAsync } from '../ui.tsx';
import { AddressForm } from './account.tsx';

/** The payments service's deterministic test cards. */
export const TEST_CARDS = [
  { number: '4242424242424242', outcome: 'approved' },
  { number: '4000000000000002', outcome: 'declined' },
  { number: '4000000000009995', outcome: 'insufficient funds' },
  { number: '4000000000000119', outcome: 'processor error' },
  { number: '4000000000000077', outcome: 'approved after 3 s' },
];

export function CartPage() {
  const lines = useStore(cart);
  const user = useStore(session.user);
  return (
    <div class="checkout">
      <PageTitle>Cart</PageTitle>
      {lines.length === 0 ? (
        <p>
          The cart is empty. <Link href="/">Browse the store</Link>
        </p>
      ) : (
        <table>
          <caption class="visually-hidden">Items in the cart</caption>
          <thead>
            <tr>
              <th scope="col">Product</th>
              <th scope="col">Quantity</th>
              <th scope="col">
                <span class="visually-hidden">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {lines.map((l) => (
              <tr key={l.productId}>
                <td>
                  <Link href={`/products/${encodeURIComponent(l.productId)}`}>{l.name}</Link>
                </td>
                <td>
                  <input
                    type="number"
                    min={1}
                    max={100}
                    aria-label={`Quantity of ${l.name}`}
                    value={l.quantity}
                    onChange={(e) => setQuantity(l.productId, Number(e.currentTarget.value))}
                  />
                </td>
                <td>
                  <button type="button" class="link" onClick={() => setQuantity(l.productId, 0)}>
                    Remove {l.name}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {lines.length > 0 &&
        (user ? (
          <CheckoutForm />
        ) : (
          <p>
            <Link href="/account?next=/cart">Sign in</Link> to check out.
          </p>
        ))}
    </div>
  );
}

function CheckoutForm() {
  const addresses = useAsync((signal) => call<AddressList>('GET', '/api/users/me/addresses', { auth: true, signal }), []);
  const [addressId, setAddressId] = useState('');
  const [card, setCard] = useState(TEST_CARDS[0]?.number ?? '');
  const [expiry, setExpiry] = useState('12/30');
  const [cvc, setCvc] = useState('123');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // One key per attempt: a retried submit of the same attempt returns the same order.
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());

  if (addresses.loading && !addresses.data) return <Loading what="your addresses" />;
  if (!addresses.data) return <ErrorBox error={addresses.error} retry={addresses.reload} />;
  const chosen = addressId || addresses.data.items[0]?.id || '';

  if (addresses.data.items.length === 0) {
    return (
      <section>
        <h2>Shipping address</h2>
        <AddressForm onSaved={addresses.reload} />
      </section>
    );
  }

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const [month, year] = expiry.split('/').map((v) => Number(v.trim()));
    try {
      const order = await call<Order>('POST', '/api/orders', {
        auth: true,
        headers: { 'idempotency-key': idempotencyKey },
        body: {
          items: cart.value.map((l) => ({ productId: l.productId, quantity: l.quantity })),
          shippingAddressId: chosen,
          card: { number: card.replace(/\s+/g, ''), expMonth: month ?? 0, expYear: 2000 + ((year ?? 0) % 100), cvc },
        },
      });
      if (order.status !== 'failed') clearCart();
      navigate(`/orders/${order.id}`);
    } catch (err) {
      setError(err);
      // A refused request created nothing; the next attempt is a new one.
      if (err instanceof ApiError && err.status < 500) setIdempotencyKey(crypto.randomUUID());
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="stack" onSubmit={submit} aria-busy={busy}>
      <h2>Checkout</h2>
      <Field label="Ship to">
        <select value={chosen} onChange={(e) => setAddressId(e.currentTarget.value)}>
          {addresses.data.items.map((a) => (
            <option key={a.id} value={a.id}>
              {[a.label, a.line1, a.city, a.country].filter(Boolean).join(', ')}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Card number" hint="Test cards are listed below; nothing is charged.">
        <input
          name="card"
          inputMode="numeric"
          autoComplete="off"
          value={card}
          onInput={(e) => setCard(e.currentTarget.value)}
          required
        />
      </Field>
      <div class="row">
        <Field label="Expiry (MM/YY)">
          <input
            name="expiry"
            value={expiry}
            onInput={(e) => setExpiry(e.currentTarget.value)}
            pattern="\d{1,2}/\d{2}"
            required
          />
        </Field>
        <Field label="CVC">
          <input name="cvc" value={cvc} onInput={(e) => setCvc(e.currentTarget.value)} pattern="\d{3,4}" required />
        </Field>
      </div>
      <details open>
        <summary>Test cards</summary>
        <ul class="cards">
          {TEST_CARDS.map((c) => (
            <li key={c.number}>
              <button type="button" class="link" onClick={() => setCard(c.number)}>
                {c.number}
              </button>{' '}
              — {c.outcome}
            </li>
          ))}
        </ul>
      </details>
      <ErrorBox error={error} />
      <button type="submit" disabled={busy}>
        {busy ? 'Placing the order…' : 'Place order'}
      </button>
    </form>
  );
}
