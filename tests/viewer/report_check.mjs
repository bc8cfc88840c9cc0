// Open a region's printable report in headless Chromium (see ../browser.mjs), wait until it has
// loaded (map image included), run axe-core, take a screenshot and print it to an A4 PDF.
// Prints one JSON result on stdout.
//
//   node report_check.mjs URL ARTIFACTS_DIR
import { check } from "../browser.mjs";
import { seriousViolations } from "../axe.mjs";

const [url, artifacts] = process.argv.slice(2);

await check(new URL(url).origin, { width: 1280, height: 900 }, false, async (page, result) => {
  await page.goto(url, { waitUntil: "networkidle" });
  await page.waitForFunction(() => document.body.dataset.ready === "true");
  result.title = await page.$eval("h1", (e) => e.innerText);
  result.date = await page.$eval("#date", (e) => ({ text: e.innerText, iso: e.dataset.date }));
  result.map = await page.$eval("#map", (img) => ({ src: img.getAttribute("src"), complete: img.complete, naturalWidth: img.naturalWidth, alt: img.alt }));
  result.legend = await page.$$eval("#legend li", (els) => els.map((e) => e.innerText));
  result.swatches = await page.$$eval("#legend .swatch", (els) => els.map((e) => getComputedStyle(e).backgroundColor));
  result.themes = await page.$$eval("section.theme h2", (els) => els.map((e) => e.innerText));
  result.rows = await page.$$eval("tr[data-indicator]", (rows) => Object.fromEntries(rows.map((r) => [r.dataset.indicator, [...r.querySelectorAll("td")].map((td) => td.innerText.replace(/\s+/g, " ").trim())])));
  result.definitions = await page.$$eval("#definitions dt", (els) => els.length);
  result.axe = await seriousViolations(page);
  await page.screenshot({ path: `${artifacts}/rapport.png`, fullPage: true });
  // What print hides: the controls (print button, navigation).
  await page.emulateMedia({ media: "print" });
  result.printHidden = await page.evaluate(() => ["#print", ".site nav"].filter((s) => getComputedStyle(document.querySelector(s)).display === "none"));
  await page.pdf({ path: `${artifacts}/rapport.pdf`, format: "A4", printBackground: true });
});
