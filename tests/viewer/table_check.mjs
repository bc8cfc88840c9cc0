// Drive the map viewer in headless Chromium (see ../browser.mjs) for what issue 17 adds: a region
// code in the URL highlights and zooms to it; the panel gives no difference for a count and offers
// its per-1.000 indicator; the table view sorts, shows the legend's colours and downloads its CSV;
// axe-core finds no serious violation; a phone shows the map without horizontal scroll.
// Prints one JSON result on stdout.
//
//   node table_check.mjs ORIGIN CODE COUNT_QUERY RATE_QUERY PER1000_QUERY TABLE_SHOT PHONE_SHOT
import { readFile } from "node:fs/promises";
import { check } from "../browser.mjs";
import { seriousViolations } from "../axe.mjs";

const [origin, code, countQuery, rateQuery, perQuery, tableShot, phoneShot] = process.argv.slice(2);

// The map is ready when the legend is drawn and the selected region's panel is shown.
async function openWithCode(page, query) {
  await page.goto(`${origin}/?${query}&code=${code}`);
  await page.waitForSelector("#legend li");
  await page.waitForFunction((c) => window.wijkmonitor.selected === c && !document.getElementById("panel").hidden, code);
}

async function panel(page) {
  return page.evaluate(() => {
    const table = document.querySelector("#panel table.compare");
    return {
      text: document.getElementById("panel").innerText,
      headers: Array.from(table.querySelectorAll("th")).map((th) => th.textContent),
      differences: Array.from(table.querySelectorAll("td.diff")).map((td) => td.textContent).filter(Boolean),
      switches: Array.from(document.querySelectorAll("#panel button.switch")).map((b) => b.dataset.indicator),
      profile: (document.querySelector("#panel a.profile-link") || {}).href || null,
    };
  });
}

async function tableRows(page) {
  return page.$$eval("#map-table tbody tr", (trs) => trs.map((tr) => ({
    code: tr.dataset.code,
    value: tr.dataset.value === undefined ? null : Number(tr.dataset.value),
    status: tr.dataset.status,
    swatch: (tr.querySelector(".swatch") || { dataset: {} }).dataset.colour || null,
    swatchRendered: tr.querySelector(".swatch") ? getComputedStyle(tr.querySelector(".swatch")).backgroundColor : null,
  })));
}

await check(origin, { width: 1280, height: 800 }, false, async (page, result) => {
  // A count, selected from the URL: highlighted, zoomed to, and compared without a difference.
  await openWithCode(page, countQuery);
  // Tiles load after the select: the highlight lands when the feature's tile is drawn.
  await page.waitForFunction(() => document.querySelectorAll(".leaflet-tile path[stroke-width='4']").length > 0);
  result.zoom = await page.evaluate(() => window.wijkmonitor.map.getZoom());
  result.highlight = await page.$$eval(".leaflet-tile path[stroke-width='4']", (els) => els.map((e) => ({ stroke: e.getAttribute("stroke"), fill: e.getAttribute("fill") })));
  result.bounds = await page.evaluate(() => window.wijkmonitor.map.getBounds().toBBoxString().split(",").map(Number));
  result.count = await panel(page);
  result.compareHref = await page.getAttribute("#compare-link", "href");
  result.axeViewer = await seriousViolations(page);

  // A rate: the same panel shows its differences.
  await openWithCode(page, rateQuery);
  result.rate = await panel(page);

  // A count with a per-1.000 indicator: the panel's button switches the map to it.
  await openWithCode(page, perQuery);
  result.per = await panel(page);
  const target = result.per.switches[0];
  if (target) {
    await page.click("#panel button.switch");
    await page.waitForFunction((t) => new URLSearchParams(location.search).get("indicator") === t &&
      document.querySelector("#legend h2").textContent.length > 0 && window.wijkmonitor.selected, target);
    await page.waitForFunction(() => !document.querySelector("#panel table.compare") || document.querySelectorAll("#panel td.diff").length > 0);
    result.switched = { url: page.url(), indicator: await page.inputValue("#indicator"), panel: await panel(page) };
  }

  // The table view of a count map: open it, sort by value both ways (mouse, then keyboard).
  await page.goto(`${origin}/?${countQuery}`);
  await page.waitForSelector("#legend li");
  await page.click("#table-toggle");
  await page.waitForSelector("#map-table tbody tr");
  result.tableTitle = await page.textContent("#table-title");
  result.csvHref = await page.getAttribute("#table-csv", "href");
  await page.click("#map-table button.sort[data-key=value]");
  await page.waitForSelector("#map-table th[aria-sort=ascending] button[data-key=value]");
  result.ascending = await tableRows(page);
  await page.focus("#map-table button.sort[data-key=value]");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#map-table th[aria-sort=descending] button[data-key=value]");
  result.descending = await tableRows(page);
  result.ariaSort = await page.$$eval("#map-table th[aria-sort]", (ths) => ths.map((th) => th.getAttribute("aria-sort")));
  result.axeTable = await seriousViolations(page);
  await page.screenshot({ path: tableShot });
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#table-csv")]);
  result.csv = await readFile(await download.path(), "utf8");

  // A region's name in the table selects it on the map (keyboard: Enter on the button).
  await page.focus(`#map-table button.pick[data-code="${code}"]`);
  await page.keyboard.press("Enter");
  await page.waitForFunction((c) => window.wijkmonitor.selected === c && document.getElementById("table-view").hidden, code);
  result.pickedFocus = await page.evaluate(() => document.activeElement.closest("#panel") !== null);

  // A phone: the settings fold away, the map fills the screen, no horizontal scroll.
  await page.setViewportSize({ width: 390, height: 844 });
  await openWithCode(page, countQuery);
  result.phone = await page.evaluate(() => {
    const box = (id) => document.getElementById(id).getBoundingClientRect();
    return {
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
      mapHeight: box("map").height,
      headerHeight: box("controls").height,
      settingsShown: getComputedStyle(document.getElementById("settings")).display !== "none",
      panelTop: box("panel").top,
      panelBottom: box("panel").bottom,
    };
  });
  result.axePhone = await seriousViolations(page);
  await page.screenshot({ path: phoneShot });
  await page.click("#settings-toggle");
  await page.waitForSelector("#settings #indicator", { state: "visible" });
  result.phoneSettings = await page.evaluate(() => ({
    expanded: document.getElementById("settings-toggle").getAttribute("aria-expanded"),
    scrollWidth: document.documentElement.scrollWidth,
  }));
});
