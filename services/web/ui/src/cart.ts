/**
 * The cart lives in the browser (localStorage): it holds product ids and quantities only,
 * nothing secret, and survives reloads and sign-outs. Prices are the catalog's at checkout.
 */
import { Store } from './store.ts';

export interface CartLine {
  productId: string;
  name: string;
  quantity: number;
}

const KEY = 'meshmart.cart';

function read(): CartLine[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(parsed) ? (parsed as CartLine[]).filter((l) => typeof l.productId === 'string' && l.quantity > 0) : [];
  } catch {
    return [];
  }
}

export const cart = new Store<CartLine[]>(read());

cart.subscribe((lines) => localStorage.setItem(KEY, JSON.stringify(lines)));

export function addToCart(productId: string, name: string, quantity: number): void {
  const lines = cart.value.filter((l) => l.productId !== productId);
  const existing = cart.value.find((l) => l.productId === productId);
  cart.value = [...lines, { productId, name, quantity: (existing?.quantity ?? 0) + quantity }];
}

export function setQuantity(productId: string, quantity: number): void {
  cart.value = cart.value.flatMap((l) => (l.productId !== productId ? [l] : quantity > 0 ? [{ ...l, quantity }] : []));
}

export function clearCart(): void {
  cart.value = [];
}
