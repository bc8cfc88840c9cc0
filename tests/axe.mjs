// axe-core (npm) in a page opened by ../browser.mjs: WCAG 2.1 A and AA rules. Playwright's evaluate
// runs outside the page's Content-Security-Policy, so the pages keep theirs while being checked.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const source = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");

// [{id, impact, help, nodes: [css selectors]}] of the violations with impact serious or critical.
export async function seriousViolations(page) {
  await page.evaluate(source);
  const results = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
  }));
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
}
