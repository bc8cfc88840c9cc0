// Drive the comparison page (/vergelijk) in headless Chromium (see ../browser.mjs): open a
// permalink with one wijk, add a second one of another gemeente by typing in the search box and
// choosing with the keyboard, then read the table, the chart and the CSV download, run axe-core,
// and look at the page on a phone. Prints one JSON result on stdout.
//
//   node compare_check.mjs ORIGIN FIRST_CODE SEARCH_TEXT SECOND_CODE INDICATOR YEAR SCREENSHOT PHONE_SCREENSHOT
import { readFile } from "node:fs/promises";
import { check } from "../browser.mjs";
import { seriousViolations } from "../axe.mjs";

const [origin, first, searchText, second, indicator, year, screenshot, phoneScreenshot] = process.argv.slice(2);

async function readTable(page) {
  return page.$$eval("#compare-table tbody tr[data-code]", (trs) => trs.map((tr) => ({
    code: tr.dataset.code,
    group: tr.dataset.group,
    value: tr.dataset.value === undefined ? null : Number(tr.dataset.value),
    text: tr.innerText,
    link: (tr.querySelector("a") || {}).href || null,
  })));
}

await check(origin, { width: 1280, height: 900 }, false, async (page, result) => {
  await page.goto(`${origin}/vergelijk?regions=${first}&groups=totaal&indicator=${indicator}&year=${year}`);
  await page.waitForSelector(`#compare-table tbody tr[data-code="${first}"]`);

  // As a user would: type in the search box, arrow down to the wanted result, press Enter.
  await page.focus("#search");
  await page.keyboard.type(searchText);
  await page.waitForSelector(`#search-results li[data-code="${second}"]`);
  result.searchExpanded = await page.getAttribute("#search", "aria-expanded");
  const options = await page.$$eval("#search-results li", (lis) => lis.map((li) => li.dataset.code));
  for (let i = 0; i <= options.indexOf(second); i += 1) await page.keyboard.press("ArrowDown");
  result.activeDescendant = await page.$eval("#search", (e) => document.getElementById(e.getAttribute("aria-activedescendant")).dataset.code);
  await page.keyboard.press("Enter");
  await page.waitForSelector(`#compare-table tbody tr[data-code="${second}"]`);
  await page.waitForFunction(() => document.body.dataset.ready === "true" && document.querySelectorAll("#chart-plot svg[role=img]").length === 1);

  result.url = page.url();
  result.rows = await readTable(page);
  result.bars = await page.$$eval("#chart-plot svg[role=img] g[data-mark=bar] rect", (els) => els.length);
  result.chartLabel = await page.getAttribute("#chart-plot svg[role=img]", "aria-label");
  result.notes = await page.$eval("#notes", (e) => e.innerText);
  result.chips = await page.$eval("#chosen-regions", (e) => e.innerText);
  result.csvHref = await page.getAttribute("#csv", "href");

  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#csv")]);
  result.csv = await readFile(await download.path(), "utf8");
  result.csvName = download.suggestedFilename();

  result.axe = await seriousViolations(page);
  await page.screenshot({ path: screenshot, fullPage: true });

  // The count's note offers its per-1.000 indicator when the catalog names one; a group adds the note about groups.
  await page.selectOption("#group-choice", "man");
  await page.click("#add-group");
  await page.waitForFunction(() => document.querySelectorAll("#compare-table tbody tr[data-group=man]").length === 2);
  result.groupRows = await readTable(page);
  result.groupNote = await page.$eval("#notes", (e) => e.innerText);
  result.groupBars = await page.$$eval("#chart-plot svg[role=img] g[data-mark=bar] rect", (els) => els.length);
  result.axeGroups = await seriousViolations(page);

  // A phone: no horizontal scroll, table and chart stacked.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForFunction(() => document.querySelector("#chart-plot svg[role=img]").getBoundingClientRect().width <= 390);
  result.phone = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    tableTop: document.querySelector("#compare-table").getBoundingClientRect().top,
    chartTop: document.querySelector("#chart").getBoundingClientRect().top,
  }));
  result.axePhone = await seriousViolations(page);
  await page.screenshot({ path: phoneScreenshot, fullPage: true });
});
