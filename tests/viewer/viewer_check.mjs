// Drive the viewer in Debian's headless Chromium with playwright-core (both installed by
// `make install` / scripts/system-packages.sh). Prints one JSON result on stdout.
//
//   node viewer_check.mjs URL LAT LNG SCREENSHOT
import { chromium } from "playwright-core";

const [url, lat, lng, screenshot] = process.argv.slice(2);
const origin = new URL(url).origin;
const problems = [];
const result = { problems };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  page.on("request", (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith("data:")) problems.push(`external request: ${r.url()}`); });
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });

  await page.goto(url, { waitUntil: "networkidle" });
  await page.waitForSelector("#legend li");
  await page.waitForFunction(() => document.querySelectorAll(".leaflet-overlay-pane path, .leaflet-tile path").length > 50);
  result.legend = await page.$$eval("#legend li .swatch", (els) => els.map((e) => getComputedStyle(e).backgroundColor));
  result.legendText = await page.$eval("#legend", (e) => e.innerText);
  result.fills = await page.$$eval(".leaflet-tile path", (els) => els.map((e) => e.getAttribute("fill")).filter((f) => f && f !== "none"));

  // A real click on the map where the buurt's label point is.
  const [x, y] = await page.evaluate(([la, ln]) => {
    const p = window.wijkmonitor.map.latLngToContainerPoint([la, ln]);
    const box = document.getElementById("map").getBoundingClientRect();
    return [p.x + box.left, p.y + box.top];
  }, [Number(lat), Number(lng)]);
  await page.mouse.move(x, y);
  await page.mouse.click(x, y);
  await page.waitForSelector("#panel .value");
  result.panel = await page.$eval("#panel", (e) => e.innerText);
  result.value = await page.$eval("#panel .value", (e) => e.textContent);
  result.url = page.url();
  result.controlsVisible = await page.isVisible("#controls");
  await page.screenshot({ path: screenshot });
} catch (error) {
  problems.push(`error: ${error.message}`);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
