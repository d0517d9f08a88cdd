/**
 * An automated accessibility audit of whatever a page shows right now: axe-core, run
 * inside the page, against WCAG 2.1 A and AA (labels, contrast, names, ARIA) and axe's
 * best practices (landmarks, headings). Each finding is one line naming the rule, its
 * impact and the elements it found, so a failing test says what to fix and where. And
 * the keyboard user's way through a page: Tab until a control has the focus.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults } from 'axe-core';
import type { Locator, Page } from 'playwright-core';

/** What the functions below use of the page's globals (the tests compile without the DOM library). */
interface InPage {
  axe?: typeof import('axe-core');
  document: Parameters<typeof import('axe-core').run>[0] & { activeElement: InPageElement | null };
  getComputedStyle(el: unknown): { outlineStyle: string };
}
interface InPageElement {
  tagName: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

type Finding = Pick<AxeResults['violations'][number], 'id' | 'impact' | 'help'> & { targets: string[] };

export async function accessibilityFindings(page: Page): Promise<string[]> {
  // Evaluated through the debugging protocol, so the page's CSP does not apply to it.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axeSource);
  const found = await page.evaluate(async (tags): Promise<Finding[]> => {
    const { axe, document } = globalThis as unknown as InPage;
    if (!axe) throw new Error('axe-core did not load into the page');
    const results = await axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  }, TAGS);
  return found.map(
    (f) => `${f.id} (${f.impact}): ${f.help} — ${f.targets.length} element(s): ${f.targets.slice(0, 4).join(' | ')}`,
  );
}

/**
 * Presses Tab until `target` has the focus, as a keyboard user would, and checks that the
 * focus is visible there. Fails, listing where the focus went, if it never arrives.
 */
export async function tabTo(page: Page, target: Locator): Promise<void> {
  const visited: string[] = [];
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const focus = await target.evaluate((el) => {
      const { document, getComputedStyle } = globalThis as unknown as InPage;
      const active = document.activeElement;
      const label = active ? (active.getAttribute('aria-label') ?? active.textContent ?? '').trim().slice(0, 30) : '';
      return {
        here: active === el,
        outline: getComputedStyle(el).outlineStyle,
        at: active ? `${active.tagName.toLowerCase()} "${label}"` : 'nothing',
      };
    });
    if (focus.here) {
      assert.notEqual(focus.outline, 'none', `the focus on ${target} is visible`);
      return;
    }
    visited.push(focus.at);
  }
  assert.fail(`Tab never reached ${target}; the focus went through: ${visited.join(', ')}`);
}
