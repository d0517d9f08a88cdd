/**
 * The web UI in a real browser: Debian's Chromium, headless, driven by playwright-core,
 * against the whole local stack through the gateway's one URL. The journeys are what a
 * shopper, a marketer and an admin do; every page is photographed at desktop and phone
 * width into .data/screenshots/ and audited for accessibility at both widths. No page may
 * log a console error or have an accessibility finding.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { localCredentials, repoRoot, type StackHandle, startStack } from '@meshmart/stack';
import { decodePng } from '@meshmart/test-support/qr';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { accessibilityFindings, tabTo } from './accessibility.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(repoRoot, '.data', 'screenshots');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const WAIT = { timeout: 30_000 };

describe('web UI in Chromium (local stack)', function () {
  this.timeout(600_000);
  let stack: StackHandle;
  let browser: Browser;
  let base: string;
  const consoleErrors: string[] = [];
  /** Findings on every page photographed, checked all together by the last test. */
  const accessibilityProblems: string[] = [];
  let pageViewsAudited = 0;
  const suffix = randomBytes(3).toString('hex');
  const category = `e2e-${suffix}`;
  const products = [
    { name: `Pour-over kettle ${suffix}`, priceMinor: 3900, stock: 5 },
    { name: `Ceramic dripper ${suffix}`, priceMinor: 2400, stock: 5 },
  ];
  let checkoutTraceId = '';
  let adminToken = '';
  /** Paid orders of the last day on the dashboard before the shopper buys. */
  let paidBefore = 0;

  async function api<T>(method: string, p: string, body?: unknown, token = adminToken): Promise<T> {
    const res = await fetch(base + p, {
      method,
      headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${p}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async function newPage(context?: BrowserContext): Promise<Page> {
    const page = await (context ?? (await browser.newContext({ viewport: DESKTOP }))).newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (err) => consoleErrors.push(`${page.url()}: ${err.message}`));
    return page;
  }

  /** The page at desktop and at phone width, full length, each audited for accessibility. */
  async function shoot(page: Page, name: string, options: { audit: boolean } = { audit: true }): Promise<void> {
    for (const [width, viewport] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      await page.setViewportSize(viewport);
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
      if (!options.audit) continue;
      for (const finding of await accessibilityFindings(page))
        accessibilityProblems.push(`${name} at ${width} width: ${finding}`);
      pageViewsAudited++;
    }
    await page.setViewportSize(DESKTOP);
  }

  /**
   * Signs in on the page a deep link opened. The session lives in the page's memory, so
   * a load of a new URL starts signed out; within the app, navigation keeps it.
   */
  async function signIn(page: Page, email: string, password: string): Promise<void> {
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByLabel('Password').waitFor({ state: 'detached', ...WAIT });
  }

  /** Follows a link of the main navigation, as a user would (no page load). */
  async function nav(page: Page, name: string | RegExp): Promise<void> {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name, exact: typeof name === 'string' })
      .click();
  }

  before(async function () {
    this.timeout(300_000);
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no Chromium at ${CHROMIUM}: run npm run setup (it installs Debian's chromium), or set CHROMIUM_PATH`);
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    stack = await startStack({
      quiet: true,
      env: {
        gateway: { RATE_LIMIT_API_MAX: '100000', RATE_LIMIT_AUTH_MAX: '1000' },
        // One shared order makes a pair "bought together" here, so the shopper's one basket shows it.
        recommendations: { MIN_SHARED_ORDERS: '1' },
      },
    });
    base = stack.urls.gateway;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    const admin = await api<{ accessToken: string }>(
      'POST',
      '/api/auth/login',
      { email: localCredentials.admin.email, password: localCredentials.admin.password },
      '',
    );
    adminToken = admin.accessToken;
    await api('POST', '/api/categories', { id: category, name: `Brewing ${suffix}` });
    const dashboard = await api<{ totals: { orders: { paid: number } } }>(
      'GET',
      `/api/analytics/dashboard?from=${new Date(Date.now() - 86_400_000).toISOString()}`,
    );
    paidBefore = dashboard.totals.orders.paid;
    for (const p of products) {
      // The product is catalog's; its stock is inventory's.
      const created = await api<{ id: string }>('POST', '/api/products', {
        name: p.name,
        category,
        priceMinor: p.priceMinor,
        currency: 'EUR',
      });
      await api('PUT', `/api/products/${encodeURIComponent(created.id)}/stock`, { stock: p.stock });
    }
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  afterEach(() => {
    const errors = consoleErrors.splice(0);
    assert.deepEqual(errors, [], 'the pages logged console errors');
  });

  describe('the accessibility audit', () => {
    it('finds an unlabeled input on an otherwise clean page, and nothing once it is labeled', async () => {
      const page = await browser.newPage();
      const document = (input: string) =>
        `<!doctype html><html lang="en"><head><title>Audit</title></head><body><main><h1>Form</h1>${input}</main></body></html>`;
      await page.setContent(document('<input type="text" name="city">'));
      const unlabeled = await accessibilityFindings(page);
      assert.equal(unlabeled.length, 1, unlabeled.join('\n'));
      assert.match(unlabeled[0] ?? '', /^label \(critical\): .* 1 element\(s\): input$/);
      await page.setContent(document('<label>City <input type="text" name="city"></label>'));
      assert.deepEqual(await accessibilityFindings(page), []);
      await page.close();
    });
  });

  describe('a shopper', () => {
    let page: Page;
    const email = `shopper-${suffix}@example.com`;

    before(async () => {
      page = await newPage();
    });

    it('signs up, browses a category, buys two products with 4242…, sees it paid without reload and is notified', async () => {
      await page.goto(base);
      await page.getByRole('heading', { name: 'All products' }).waitFor(WAIT);
      await page.locator('.product-card').first().waitFor(WAIT);
      await page.getByRole('link', { name: `Brewing ${suffix}` }).waitFor(WAIT);
      await shoot(page, 'store');
      await page.goto(`${base}/account`);
      await page.getByRole('button', { name: 'New here? Create an account' }).click();
      await page.getByLabel('Name').fill('Ada Shopper');
      await page.getByLabel('E-mail').fill(email);
      await page.getByLabel('Password').fill('correct horse battery');
      await shoot(page, 'sign-up');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('heading', { name: 'Your account' }).waitFor(WAIT);
      await page.getByLabel('Street and number').fill('1 Main St');
      await page.getByLabel('Postal code').fill('1000-001');
      await page.getByLabel('City').fill('Lisbon');
      await page.getByLabel('Country (2 letters)').fill('PT');
      await page.getByRole('button', { name: 'Save address' }).click();
      await page.getByText('1 Main St, 1000-001 Lisbon, PT').waitFor(WAIT);
      await shoot(page, 'account');

      await nav(page, 'Store');
      await page.getByRole('link', { name: `Brewing ${suffix}` }).click();
      for (const p of products) {
        await page.getByRole('link', { name: p.name }).click();
        await page
          .getByTestId('stock')
          .filter({ hasText: `${p.stock} in stock` })
          .waitFor(WAIT);
        if (p === products[0]) {
          await expectNoRecommendationFromCategory(page);
          await shoot(page, 'product');
        }
        await page.getByRole('button', { name: 'Add to cart' }).click();
        await page.getByRole('status').filter({ hasText: 'Added' }).waitFor(WAIT);
        await page.goBack();
      }
      await nav(page, /^Cart/);
      await page.getByRole('button', { name: 'Place order' }).waitFor(WAIT);
      await shoot(page, 'cart');
      const checkout = page.waitForResponse((r) => r.url() === `${base}/api/orders` && r.request().method() === 'POST');
      await page.getByRole('button', { name: 'Place order' }).click();
      const response = await checkout;
      checkoutTraceId = response.headers()['x-trace-id'] ?? '';
      assert.match(checkoutTraceId, /^[0-9a-f]{32}$/, 'the checkout response names its trace');
      await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/, WAIT);
      await page.getByTestId('order-status').filter({ hasText: 'paid' }).waitFor(WAIT);
      assert.match((await page.getByTestId('order-status').textContent()) ?? '', /paid/);
      await page.getByTestId('unread-count').waitFor(WAIT);
      await shoot(page, 'order-paid');
      await page.getByTestId('notifications-link').click();
      await page.getByRole('heading', { name: 'Notifications' }).waitFor(WAIT);
      const list = page.getByRole('listitem').filter({ hasText: /order/i });
      await list.first().waitFor(WAIT);
      assert.ok((await list.count()) >= 1, 'a notification about the order is listed');
      await shoot(page, 'notifications');

      // A failed action shows its error alone: "Try again" would reload the list, not repeat
      // it. The failure is real: notifications is stopped, so the gateway answers 503.
      const errorsBefore = consoleErrors.length;
      await stack.stopService('notifications');
      try {
        await list.first().getByRole('button', { name: 'Mark as read' }).click();
        const alert = page.getByRole('alert').filter({ hasText: /unavailable/i });
        await alert.waitFor(WAIT);
        assert.equal(
          await alert.getByRole('button', { name: 'Try again' }).count(),
          0,
          'a failed action offers to reload the page',
        );
      } finally {
        await stack.startService('notifications');
      }
      // The outage's own 503s (the action, and any reload of the list meanwhile) are expected;
      // anything else logged in that window is not.
      const duringOutage = consoleErrors.splice(errorsBefore);
      assert.ok(duringOutage.length >= 1, 'the refused action was logged');
      assert.ok(
        duringOutage.every((e) => /status of 503/.test(e)),
        duringOutage.join('\n'),
      );
    });

    it('is shown what was bought together, sees a declined card refused with its reason, and the stock unchanged', async () => {
      const [first, second] = products;
      assert.ok(first && second);
      await nav(page, 'Store');
      await page.getByRole('link', { name: `Brewing ${suffix}` }).click();
      await page.getByRole('link', { name: first.name }).click();
      // The catalog shows what inventory last reported, a moment after the sale.
      const stockBefore = `${first.stock - 1} in stock`;
      await page.getByTestId('stock').filter({ hasText: stockBefore }).waitFor(WAIT);
      // The paid basket held both products; the model learns it from order.paid a moment later.
      const together = page
        .getByTestId('recommendations')
        .getByRole('listitem')
        .filter({ has: page.getByRole('link', { name: second.name }) })
        .filter({ hasText: 'Bought together' });
      for (let i = 0; i < 20 && (await together.count()) === 0; i++) {
        await page.waitForTimeout(1000);
        await page.getByRole('link', { name: `← ${category}` }).click();
        await page.getByRole('link', { name: first.name }).click();
        await page.getByTestId('stock').waitFor(WAIT);
        await page.getByTestId('recommendations').locator('li, [data-testid="recommendations-empty"]').first().waitFor(WAIT);
      }
      assert.equal(await together.count(), 1, `${second.name} is listed as bought together with ${first.name}`);
      await shoot(page, 'product-recommendations');
      const id = encodeURIComponent(await productId(first.name));
      const inventoryBefore = await api<{ available: number }>('GET', `/api/products/${id}/stock`);
      assert.equal(inventoryBefore.available, first.stock - 1);
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await nav(page, /^Cart/);
      await page.getByLabel('Card number').fill('4000000000000002');
      await page.getByRole('button', { name: 'Place order' }).click();
      await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/, WAIT);
      await page.getByTestId('order-status').filter({ hasText: 'failed' }).waitFor(WAIT);
      const reason = (await page.getByTestId('order-reason').textContent(WAIT)) ?? '';
      assert.match(reason, /declin/i, 'the failure reason names the decline');
      await shoot(page, 'order-failed');
      await nav(page, 'Store');
      await page.getByRole('link', { name: `Brewing ${suffix}` }).click();
      await page.getByRole('link', { name: first.name }).click();
      // The catalog shows inventory's figure as its events arrive: the reservation, then its release.
      const shown = page.getByTestId('stock').filter({ hasText: 'in stock' });
      for (let i = 0; i < 20 && (await shown.textContent(WAIT)) !== stockBefore; i++) {
        await page.waitForTimeout(500);
        await page.getByRole('link', { name: `← ${category}` }).click();
        await page.getByRole('link', { name: first.name }).click();
      }
      assert.equal(await shown.textContent(WAIT), stockBefore);
      const inventoryAfter = await api<{ available: number; held: number }>('GET', `/api/products/${id}/stock`);
      assert.equal(inventoryAfter.available, inventoryBefore.available, 'inventory holds the same stock');
      assert.equal(inventoryAfter.held, 0, 'the declined order holds nothing');
      await nav(page, 'Orders');
      await page
        .getByText(/Order [0-9a-f]{8}/)
        .first()
        .waitFor(WAIT);
      await shoot(page, 'orders');
    });

    it('shortens a link whose QR code decodes to it, and watches the live counter rise when it is opened', async () => {
      await nav(page, 'Links');
      await page.getByLabel('Address to shorten').fill(`${base}/?from=flyer`);
      await page.getByLabel('Alias (optional)').fill(`flyer-${suffix}`);
      await page.getByRole('button', { name: 'Shorten' }).click();
      const shortUrl = `${base}/s/flyer-${suffix}`;
      await page.getByRole('button', { name: shortUrl }).waitFor(WAIT);
      const image = page.getByTestId('qr-image');
      await image.waitFor(WAIT);
      assert.equal(decodePng(await image.screenshot()), shortUrl, 'the QR code on the page decodes to the short link');
      const counter = page.getByTestId('click-count');
      assert.equal(await counter.textContent(), '0');
      await page.locator('.live.on').waitFor(WAIT);
      await shoot(page, 'links');

      const visitor = await newPage(page.context());
      await visitor.goto(shortUrl);
      await visitor.getByRole('heading', { name: 'All products' }).waitFor(WAIT);
      assert.equal(new URL(visitor.url()).search, '?from=flyer', 'the short link leads to its target');
      await visitor.close();
      await page.getByTestId('click-count').filter({ hasText: /^1$/ }).waitFor(WAIT);
      assert.equal(await counter.textContent(), '1');
    });

    it('makes a batch of 50 QR codes with the progress bar reaching 100 %', async () => {
      await nav(page, 'Links');
      await page.getByRole('link', { name: 'Make many QR codes at once' }).click();
      const lines = (await page.getByLabel(/One text or address per line/).inputValue()).split('\n');
      assert.equal(lines.length, 50);
      await page.getByRole('button', { name: 'Generate' }).click();
      await page.getByText('50 of 50 (100 %)').waitFor(WAIT);
      const bar = page.getByTestId('batch-progress');
      assert.equal(await bar.getAttribute('value'), '50');
      assert.equal(await bar.getAttribute('max'), '50');
      await page.getByRole('button', { name: 'Download the list (CSV)' }).waitFor(WAIT);
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Download the list (CSV)' }).click();
      const file = await download;
      assert.match(file.suggestedFilename(), /^qr-batch\.png\.csv$/);
      await shoot(page, 'qr-batch');
    });
    it('searches with suggestions as it types, and narrows the results by a facet', async () => {
      const [, second] = products;
      assert.ok(second);
      const box = page.getByLabel('Search products');
      // The index follows catalog's events: type again until the new product is suggested.
      const suggestion = page.locator(`#search-suggestions option[value="${second.name}"]`);
      for (let i = 0; i < 20 && (await suggestion.count()) === 0; i++) {
        await box.fill('');
        await box.pressSequentially(second.name.slice(0, -1), { delay: 20 });
        await page.waitForTimeout(1000);
      }
      assert.equal(await suggestion.count(), 1, 'the product is suggested while typing');
      await box.fill(`dripper ${suffix}`);
      await box.press('Enter');
      await page.getByRole('heading', { name: `Results for “dripper ${suffix}”` }).waitFor(WAIT);
      await page.getByRole('link', { name: second.name }).waitFor(WAIT);
      assert.equal(await page.locator('mark').first().textContent(), 'dripper');
      await page
        .getByRole('complementary', { name: 'Refine' })
        .getByRole('link', { name: `${category} (1)` })
        .click();
      await page.waitForURL(new RegExp(`category=${category}`), WAIT);
      // The previous results stay on screen until the narrowed ones arrive.
      const total = page.getByTestId('search-total');
      await total.filter({ hasText: /^1 product$/ }).waitFor(WAIT);
      assert.equal(await total.textContent(), '1 product');
      assert.deepEqual(await page.locator('.product-card h2').allTextContents(), [second.name]);
      await shoot(page, 'search');
    });

    it('signs in and fills a cart with the keyboard alone', async () => {
      const [, second] = products;
      assert.ok(second);
      // A new context: signed out, with an empty cart.
      const keys = await newPage();
      await keys.goto(`${base}/account`);
      await keys.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
      await shoot(keys, 'sign-in');
      await tabTo(keys, keys.getByLabel('E-mail'));
      await keys.keyboard.type(email);
      await tabTo(keys, keys.getByLabel('Password'));
      await keys.keyboard.type('correct horse battery');
      await keys.keyboard.press('Enter');
      await keys.getByRole('heading', { name: 'Your account' }).waitFor(WAIT);
      const main = keys.getByRole('navigation', { name: 'Main' });
      await tabTo(keys, main.getByRole('link', { name: 'Store', exact: true }));
      await keys.keyboard.press('Enter');
      await keys.getByRole('heading', { name: 'All products' }).waitFor(WAIT);
      await tabTo(keys, keys.getByRole('link', { name: `Brewing ${suffix}` }));
      await keys.keyboard.press('Enter');
      await tabTo(keys, keys.getByRole('link', { name: second.name }));
      await keys.keyboard.press('Enter');
      await keys.getByRole('heading', { name: second.name }).waitFor(WAIT);
      await tabTo(keys, keys.getByRole('button', { name: 'Add to cart' }));
      await keys.keyboard.press('Enter');
      await keys.getByRole('status').filter({ hasText: 'Added' }).waitFor(WAIT);
      await tabTo(keys, keys.getByRole('link', { name: 'Go to the cart' }));
      await keys.keyboard.press('Enter');
      await keys.getByRole('button', { name: 'Place order' }).waitFor(WAIT);
      assert.equal(await keys.getByRole('link', { name: second.name, exact: true }).count(), 1, 'the cart holds the product');
      await keys.close();
    });
  });

  /**
   * Before anything of the new category is paid for, the product's list can only hold the
   * store's best-sellers from earlier orders, or, in a store without paid orders, say that it
   * has nothing to recommend yet.
   */
  async function expectNoRecommendationFromCategory(page: Page): Promise<void> {
    const section = page.getByTestId('recommendations');
    await section.getByRole('heading', { name: 'Customers also bought' }).waitFor(WAIT);
    await section.locator('li, [data-testid="recommendations-empty"]').first().waitFor(WAIT);
    const reasons = await section.getByTestId('recommendation-reason').allTextContents();
    if (reasons.length === 0) {
      assert.equal(
        await section.getByTestId('recommendations-empty').textContent(),
        'Nothing to recommend yet: suggestions appear once orders are paid.',
      );
    }
    for (const reason of reasons) assert.equal(reason, 'Best-seller', 'nothing of the new category was paid for yet');
  }

  async function productId(name: string): Promise<string> {
    const page = await api<{ items: Array<{ id: string; name: string }> }>('GET', `/api/products?category=${category}&limit=10`);
    const found = page.items.find((p) => p.name === name);
    assert.ok(found, `product ${name} exists`);
    return found.id;
  }

  describe('an admin', () => {
    let page: Page;

    before(async () => {
      page = await newPage();
    });

    it('sees the paid order in the dashboard', async () => {
      await page.goto(`${base}/admin`);
      await signIn(page, localCredentials.admin.email, localCredentials.admin.password);
      const paid = page.getByTestId('orders-paid');
      await paid.waitFor(WAIT);
      // Rollups follow the events; pick the range again until the order is counted.
      for (let i = 0; i < 20 && Number(await paid.textContent()) <= paidBefore; i++) {
        await page.waitForTimeout(1000);
        await page.getByLabel('Last 7 days').check();
        await page.getByLabel('Last 24 hours').check();
        await paid.waitFor(WAIT);
      }
      assert.ok(Number(await paid.textContent()) > paidBefore, `more than ${paidBefore} paid orders in the last day`);
      assert.ok((await page.getByTestId('top-products').locator('tbody tr').count()) > 0, 'top products are listed');
      await page.locator('.uplot').first().waitFor(WAIT);
      await shoot(page, 'admin-dashboard');
      await page.getByRole('link', { name: 'Products and stock' }).click();
      await page.getByRole('heading', { name: 'Products and stock' }).waitFor(WAIT);
      await shoot(page, 'admin-products');

      // The footer opens the trace of the last call the page made: listing products or categories.
      const open = page.getByTestId('open-trace');
      await page
        .locator('.trace-bar')
        .filter({ hasText: /Last call: GET \/api\/(products|categories)\S* → 200/ })
        .waitFor(WAIT);
      const href = (await open.getAttribute('href')) ?? '';
      assert.match(href, /^\/trace\/[0-9a-f]{32}$/);
      // Spans reach Jaeger a moment after the response: open the link once the trace is there.
      const traceUrl = `${base}/api/admin/traces/${href.slice('/trace/'.length)}`;
      for (let i = 0; i < 20; i++) {
        const found = await fetch(traceUrl, { headers: { authorization: `Bearer ${adminToken}` } });
        await found.body?.cancel();
        if (found.ok) break;
        await page.waitForTimeout(1000);
      }
      await open.click();
      await page.waitForURL(`${base}${href}`, WAIT);
      const services = page.getByTestId('trace-services');
      await services.waitFor(WAIT);
      for (let i = 0; i < 20 && !/catalog/.test((await services.textContent()) ?? ''); i++) {
        await page.waitForTimeout(1000);
        await page.getByRole('button', { name: 'Reload' }).click();
        await services.waitFor(WAIT);
      }
      const listed = ((await services.textContent(WAIT)) ?? '').split(', ');
      for (const s of ['gateway', 'catalog']) assert.ok(listed.includes(s), `the trace lists ${s}: ${listed.join(', ')}`);
    });

    it("shows the checkout's path through the mesh", async () => {
      assert.match(checkoutTraceId, /^[0-9a-f]{32}$/, 'the shopper journey recorded a checkout trace');
      await page.goto(`${base}/trace/${checkoutTraceId}`);
      await signIn(page, localCredentials.admin.email, localCredentials.admin.password);
      const services = page.getByTestId('trace-services');
      const expected = ['gateway', 'orders', 'users', 'inventory', 'payments', 'notifications'];
      await services.waitFor(WAIT);
      // Deliveries to consumers end after the response; their spans arrive within seconds.
      for (let i = 0; i < 20; i++) {
        const seen = (await services.textContent()) ?? '';
        if (expected.every((s) => seen.includes(s))) break;
        await page.waitForTimeout(1000);
        await page.getByRole('button', { name: 'Reload' }).click();
        await services.waitFor(WAIT);
      }
      const listed = ((await services.textContent()) ?? '').split(', ');
      for (const s of expected) assert.ok(listed.includes(s), `the trace lists ${s}: ${listed.join(', ')}`);
      assert.ok((await page.locator('.tag.layer-daprd').count()) > 0, 'daprd hops are shown');
      assert.ok((await page.locator('.tag.layer-db').count()) > 0, 'database spans are shown');
      assert.ok((await page.locator('.tag.layer-pubsub').count()) > 0, 'pub/sub deliveries are shown');
      await shoot(page, 'mesh-view');
      // The top of the waterfall alone, for the README.
      await page.screenshot({ path: path.join(SCREENSHOTS, 'mesh-view-top-desktop.png') });
    });
  });

  describe('a developer', () => {
    it('reads every operation of the OpenAPI document at /api/docs', async () => {
      const doc = await api<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/openapi.json', undefined, '');
      const operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
      const page = await newPage();
      await page.goto(`${base}/api/docs`);
      await page.locator('.opblock').first().waitFor(WAIT);
      assert.equal(await page.locator('.opblock').count(), operations, 'one block per documented operation');
      const checkout = page.locator('.opblock-post').filter({ has: page.locator('[data-path="/api/orders"]') });
      await checkout.getByText('Check out: reserve stock', { exact: false }).waitFor(WAIT);
      await checkout.locator('.opblock-summary-control').click();
      await checkout.locator('.parameters-col_name').filter({ hasText: 'idempotency-key' }).waitFor(WAIT);
      await checkout.locator('.opblock-section-request-body').waitFor(WAIT);
      // Swagger UI's page, not the app's: its markup is the library's, so it is photographed only.
      await shoot(page, 'api-docs', { audit: false });
    });
  });

  describe('every page photographed', () => {
    it('passes the accessibility audit at desktop and at phone width', () => {
      assert.equal(pageViewsAudited, 34, "the journeys audited the app's 17 pages at two widths");
      assert.deepEqual(accessibilityProblems, [], `the audit found ${accessibilityProblems.length} problem(s)`);
    });
  });
});
