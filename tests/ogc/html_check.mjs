// axe-core over the OGC API's HTML pages in Debian's headless Chromium: WCAG 2.1 A/AA violations of
// impact serious or critical, per page. Prints one JSON line.
//
//   node html_check.mjs URL...
import { check } from "../browser.mjs";
import { seriousViolations } from "../axe.mjs";

const urls = process.argv.slice(2);
await check(new URL(urls[0]).origin, { width: 1280, height: 800 }, false, async (page, result) => {
  result.pages = [];
  for (const url of urls) {
    await page.goto(url);
    result.pages.push({ url, title: await page.title(), violations: await seriousViolations(page) });
  }
});
