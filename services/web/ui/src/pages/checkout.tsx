/** The cart and checkout: a shipping address, one of the simulated processor's test cards. */
import { useState } from 'preact/hooks';
import { ApiError, call } from '../api.ts';
import { cart, clearCart, setQuantity } from '../cart.ts';
import { navigate } from '../router.ts';
import { session } from '../session.ts';
import { useStore } from '../store.ts';
import type { AddressList, Order } from '../types.ts';
import { AsyncStatus, ColumnHeads, ErrorBox, Field, Link, PageTitle, TextField, useAction, useAsync } from '../ui.tsx';
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
          <ColumnHeads columns={['Product', 'Quantity', <span class="visually-hidden">Remove</span>]} />
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
  const placing = useAction();
  // One key per attempt: a retried submit of the same attempt returns the same order.
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());

  if (!addresses.data) return <AsyncStatus of={addresses} what="your addresses" />;
  const chosen = addressId || addresses.data.items[0]?.id || '';

  if (addresses.data.items.length === 0) {
    return (
      <section>
        <h2>Shipping address</h2>
        <AddressForm onSaved={addresses.reload} />
      </section>
    );
  }

  const submit = placing.submit(
    async () => {
      const [month, year] = expiry.split('/').map((v) => Number(v.trim()));
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
    },
    // A refused request created nothing; the next attempt is a new one.
    (err) => err instanceof ApiError && err.status < 500 && setIdempotencyKey(crypto.randomUUID()),
  );

  return (
    <form class="stack" onSubmit={submit} aria-busy={placing.busy}>
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
      <TextField
        label="Card number"
        hint="Test cards are listed below; nothing is charged."
        name="card"
        inputMode="numeric"
        autoComplete="off"
        value={card}
        onValue={setCard}
        required
      />
      <div class="row">
        <TextField label="Expiry (MM/YY)" name="expiry" value={expiry} onValue={setExpiry} pattern="\d{1,2}/\d{2}" required />
        <TextField label="CVC" name="cvc" value={cvc} onValue={setCvc} pattern="\d{3,4}" required />
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
      <ErrorBox error={placing.error} />
      <button type="submit" disabled={placing.busy}>
        {placing.busy ? 'Placing the order…' : 'Place order'}
      </button>
    </form>
  );
}
