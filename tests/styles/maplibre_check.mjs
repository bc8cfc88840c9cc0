// Render one of our styles with MapLibre GL JS (npm, dev dependency) in Debian's headless
// Chromium, the way a web team embeds it, and report what MapLibre drew. Prints one JSON line.
//
//   node maplibre_check.mjs STYLE_URL ZOOM LNG LAT SCREENSHOT
import { readFileSync } from "node:fs";
import { check } from "../browser.mjs";

const [styleUrl, zoom, lng, lat, screenshot] = process.argv.slice(2);
const origin = new URL(styleUrl).origin;
const dist = new URL("../../node_modules/maplibre-gl/dist/", import.meta.url);

await check(origin, { width: 1000, height: 700 }, true, async (page, result) => {
  result.glyphRequests = [];
  page.on("request", (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith("/fonts/")) result.glyphRequests.push(decodeURIComponent(path));
  });
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
});
