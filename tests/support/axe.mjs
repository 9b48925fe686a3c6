// axe-core (npm, pinned in package.json) run inside a page: the WCAG 2.2 A and AA rules.
// Open shadow roots (the widget) are checked too.
import { createRequire } from 'node:module';

const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

/** The violations on `page` (or within `selector`), each as `rule: target …` for a readable failure. */
export async function axeViolations(page, selector) {
  await page.addScriptTag({ path: axeSource });
  return page.evaluate(async ({ selector, tags }) => {
    const context = selector ? document.querySelector(selector) : document;
    const { violations } = await window.axe.run(context, { runOnly: { type: 'tag', values: tags } });
    return violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }, { selector, tags: WCAG });
}
