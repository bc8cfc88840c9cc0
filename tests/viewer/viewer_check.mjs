// Drive the viewer in headless Chromium (see ../browser.mjs). Prints one JSON result on stdout.
//
//   node viewer_check.mjs URL LAT LNG SCREENSHOT
import { check } from "../browser.mjs";

const [url, lat, lng, screenshot] = process.argv.slice(2);

await check(new URL(url).origin, { width: 1280, height: 800 }, false, async (page, result) => {
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
});
