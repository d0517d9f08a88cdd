/** Order history, and one order whose status updates itself until the saga has ended. */
import { call } from '../api.ts';
import type { Order, OrderPage } from '../types.ts';
import {
  AsyncStatus,
  BodyRows,
  ColumnHeads,
  ErrorBox,
  Link,
  money,
  PageTitle,
  useAction,
  useAsync,
  useInterval,
  when,
} from '../ui.tsx';

function StatusBadge({ status }: { status: Order['status'] }) {
  return <span class={`badge status-${status}`}>{status}</span>;
}

export function OrdersPage() {
  const orders = useAsync((signal) => call<OrderPage>('GET', '/api/orders?limit=50', { auth: true, signal }), []);
  return (
    <div>
      <PageTitle>Your orders</PageTitle>
      <AsyncStatus of={orders} what="your orders" />
      {orders.data && orders.data.items.length === 0 && (
        <p>
          No orders yet. <Link href="/">Browse the store</Link>
        </p>
      )}
      <ul class="list">
        {orders.data?.items.map((o) => (
          <li key={o.id} class="card">
            <Link href={`/orders/${o.id}`}>Order {o.id.slice(0, 8)}</Link> <StatusBadge status={o.status} />{' '}
            <span>{money(o.totalMinor, o.currency)}</span> <span class="muted">{when(o.createdAt)}</span>
            {o.reason && <p class="reason">{o.reason}</p>}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function OrderDetailPage({ id }: { id: string }) {
  const order = useAsync((signal) => call<Order>('GET', `/api/orders/${id}`, { auth: true, signal }), [id]);
  const cancelling = useAction();
  const pending = order.data?.status === 'pending';
  useInterval(order.reload, 1000, pending || (!order.data && !order.error));

  if (!order.data) return <AsyncStatus of={order} what="the order" />;
  const o = order.data;

  const cancel = () =>
    cancelling.run(async () => {
      await call<Order>('POST', `/api/orders/${o.id}/cancel`, { auth: true });
      order.reload();
    });

  return (
    <article class="order">
      <PageTitle>Order {o.id.slice(0, 8)}</PageTitle>
      <p aria-live="polite" data-testid="order-status">
        Status: <StatusBadge status={o.status} />
        {pending && <span class="muted"> — updating…</span>}
      </p>
      {o.reason && (
        <p class="reason" data-testid="order-reason">
          {o.reason}
        </p>
      )}
      <table>
        <caption class="visually-hidden">Order lines</caption>
        <ColumnHeads columns={['Product', 'Quantity', 'Price']} />
        <BodyRows
          items={o.lines}
          rowKey={(l) => l.productId}
          cells={(l) => [l.name, l.quantity, money(l.unitPriceMinor * l.quantity, o.currency)]}
        />
        <tfoot>
          <tr>
            <th scope="row" colSpan={2}>
              Total
            </th>
            <td>{money(o.totalMinor, o.currency)}</td>
          </tr>
        </tfoot>
      </table>
      <p class="muted">
        Ships to {o.shippingAddress.line1}, {o.shippingAddress.postalCode} {o.shippingAddress.city}, {o.shippingAddress.country}
      </p>
      <h2>Timeline</h2>
      <ol class="timeline">
        {o.timeline.map((t) => (
          <li key={`${t.status}-${t.at}`}>
            <StatusBadge status={t.status} /> <time dateTime={t.at}>{when(t.at)}</time> {t.note}
          </li>
        ))}
      </ol>
      {(o.status === 'paid' || o.status === 'pending') && (
        <button type="button" class="secondary" onClick={cancel} disabled={cancelling.busy}>
          {cancelling.busy ? 'Cancelling…' : 'Cancel order'}
        </button>
      )}
      <ErrorBox error={cancelling.error} />
      <p>
        <Link href="/orders">All orders</Link>
      </p>
    </article>
  );
}
