// Render one of our styles with MapLibre GL JS (npm, dev dependency) in Debian's headless
// Chromium, the way a web team embeds it, and report what MapLibre drew. Prints one JSON line.
//
//   node maplibre_check.mjs STYLE_URL ZOOM LNG LAT SCREENSHOT
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const [styleUrl, zoom, lng, lat, screenshot] = process.argv.slice(2);
const origin = new URL(styleUrl).origin;
const problems = [];
const glyphRequests = [];
const dist = new URL("../../node_modules/maplibre-gl/dist/", import.meta.url);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // WebGL without a GPU: Chromium's software renderer.
  args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-background-networking"],
});
const result = { problems, glyphRequests };
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  page.on("request", (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith("data:") && !r.url().startsWith("blob:")) problems.push(`external request: ${r.url()}`);
    if (new URL(r.url()).pathname.startsWith("/fonts/")) glyphRequests.push(decodeURIComponent(new URL(r.url()).pathname));
  });
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  // A blank page on the server's origin with MapLibre from node_modules: the test page an embedder writes.
  await page.route(`${origin}/__maplibre/**`, (route) => {
    const name = new URL(route.request().url()).pathname.split("/").pop();
    if (name === "index.html") {
      return route.fulfill({
        contentType: "text/html",
        body: '<!doctype html><link rel="stylesheet" href="maplibre-gl.css"><div id="map" style="position:absolute;inset:0"></div><script src="maplibre-gl.js"></script>',
      });
    }
    return route.fulfill({ body: readFileSync(new URL(name, dist)), contentType: name.endsWith(".css") ? "text/css" : "text/javascript" });
  });
  await page.goto(`${origin}/__maplibre/index.html`);
  Object.assign(result, await page.evaluate(([styleUrl, zoom, lng, lat]) => new Promise((resolve) => {
    const map = new maplibregl.Map({ container: "map", style: styleUrl, center: [Number(lng), Number(lat)], zoom: Number(zoom) });
    map.on("error", (e) => console.error(`map error: ${e.error && e.error.message}`));
    map.once("idle", () => {
      const layers = map.getStyle().layers;
      const ids = (type) => layers.filter((l) => l.type === type).map((l) => l.id);
      const labels = map.queryRenderedFeatures({ layers: ids("symbol") });
      const fills = map.queryRenderedFeatures({ layers: ids("fill") });
      resolve({
        labels: labels.map((f) => f.properties.name),
        fills: fills.map((f) => ({ layer: f.layer.id, properties: f.properties })),
      });
    });
  }), [styleUrl, zoom, lng, lat]));
  await page.screenshot({ path: screenshot });
} catch (error) {
  problems.push(`error: ${error.message}`);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
