// Drive a region's profile page in headless Chromium (see ../browser.mjs): read the figures it
// shows, open one indicator's charts, switch to a group, run axe-core, and look at it on a phone.
// Prints one JSON result on stdout.
//
//   node profile_check.mjs URL GROUP INDICATOR ARTIFACTS_DIR
import { check } from "../browser.mjs";
import { seriousViolations } from "../axe.mjs";

const [url, group, indicator, artifacts] = process.argv.slice(2);

// Each indicator row as {id: {title, cells: {column label: text}}}: what a reader sees.
function readRows(page) {
  return page.$$eval("tr[data-indicator]", (rows) => Object.fromEntries(rows.map((r) => [r.dataset.indicator, {
    title: r.querySelector("th").innerText,
    cells: Object.fromEntries([...r.querySelectorAll("td")].map((td) => [td.dataset.label, td.innerText.replace(/\s+/g, " ").trim()])),
  }])));
}

const ready = (g) => `document.body.dataset.ready === "true" && document.body.dataset.group === ${JSON.stringify(g)}`;

await check(new URL(url).origin, { width: 1280, height: 900 }, false, async (page, result) => {
  await page.goto(url, { waitUntil: "networkidle" });
  await page.waitForFunction(() => document.body.dataset.ready === "true");
  result.title = await page.$eval("h1", (e) => e.innerText);
  result.subtitle = await page.$eval("#subtitle", (e) => e.innerText);
  result.themes = await page.$$eval("section.theme h2", (els) => els.map((e) => e.innerText));
  result.emptyThemes = await page.$$eval("section.theme", (els) => els.filter((s) => s.querySelector(".no-figures")).map((s) => s.dataset.theme));
  result.rows = await readRows(page);
  result.footnotes = await page.$$eval(".footnotes li", (els) => els.map((e) => e.innerText));
  result.links = await page.$$eval(".site nav a", (els) => Object.fromEntries(els.map((a) => [a.id, a.getAttribute("href")])));
  result.headings = await page.$$eval("h1, h2, h3, h4", (els) => els.map((e) => Number(e.tagName[1])));

  result.axe = await seriousViolations(page);

  // The whole profile switched to one group.
  await page.selectOption("#group", group);
  await page.waitForFunction(ready(group));
  result.groupRows = await readRows(page);
  result.groupNote = await page.$eval("#group-note", (e) => (e.hidden ? "" : e.innerText));
  result.groupUrl = page.url();
  result.groupCsv = await page.$eval("#link-csv", (a) => a.getAttribute("href"));

  // One indicator's charts, drawn when its details opens.
  const about = `details.about[data-indicator="${indicator}"]`;
  await page.click(`${about} > summary`);
  await page.waitForSelector(`${about} .trend svg[aria-label]`);
  await page.waitForSelector(`${about} .groups svg[aria-label]`);
  result.chart = await page.$eval(about, (d) => ({
    trendLabel: d.querySelector(".trend svg[aria-label]").getAttribute("aria-label"),
    trendTable: d.querySelector(".trend table.figures").textContent,
    barsLabel: d.querySelector(".groups svg[aria-label]").getAttribute("aria-label"),
    barsTable: d.querySelector(".groups table.figures").textContent,
    bars: d.querySelectorAll(".groups svg rect").length,
    text: d.innerText,
  }));
  result.urlAfterOpen = page.url();
  result.axeGroup = await seriousViolations(page);
  await page.screenshot({ path: `${artifacts}/profiel.png`, fullPage: true });

  // A phone: no sideways scrolling of the page.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(result.urlAfterOpen, { waitUntil: "networkidle" });
  await page.waitForFunction(ready(group));
  await page.screenshot({ path: `${artifacts}/profiel-telefoon.png`, fullPage: false });
  await page.click(`details.about[data-indicator="${indicator}"] > summary`);
  await page.waitForSelector(`${about} .groups svg[aria-label]`);
  result.phone = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  await page.locator(`${about} .trend`).scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${artifacts}/profiel-telefoon-grafiek.png`, fullPage: false });
});
