// Draw an OGC API Tiles tileset in RD New with OpenLayers (npm, dev dependency) in Debian's headless
// Chromium, the way a Dutch viewer (PDOK's, a municipality's) uses it: OpenLayers reads the tileset
// metadata, follows its tiling-scheme link to the tile matrix set and cuts its own tile grid from
// it. Reports, for each RD point asked, the properties of the features drawn under it.
//
//   node openlayers_check.mjs TILESET_URL CENTER_X CENTER_Y RESOLUTION POINTS_JSON SCREENSHOT
import { readFileSync } from "node:fs";
import { check } from "../browser.mjs";

const [tilesetUrl, x, y, resolution, pointsJson, screenshot] = process.argv.slice(2);
const origin = new URL(tilesetUrl).origin;
const modules = new URL("../../node_modules/", import.meta.url);
const files = { "ol.js": "ol/dist/ol.js", "ol.css": "ol/ol.css", "proj4.js": "proj4/dist/proj4.js" };

await check(origin, { width: 1000, height: 800 }, false, async (page, result) => {
  result.tileRequests = [];
  page.on("request", (r) => {
    if (r.url().includes("/tiles/")) result.tileRequests.push(new URL(r.url()).pathname);
  });
  await page.route(`${origin}/__openlayers/**`, (route) => {
    const name = new URL(route.request().url()).pathname.split("/").pop();
    if (name === "index.html") {
      return route.fulfill({
        contentType: "text/html",
        body: '<!doctype html><meta charset="utf-8"><link rel="stylesheet" href="ol.css"><div id="map" style="position:absolute;inset:0"></div>'
          + '<script src="proj4.js"></script><script src="ol.js"></script>',
      });
    }
    return route.fulfill({ body: readFileSync(new URL(files[name], modules)), contentType: name.endsWith(".css") ? "text/css" : "text/javascript" });
  });
  await page.goto(`${origin}/__openlayers/index.html`);
  Object.assign(result, await page.evaluate(([tilesetUrl, x, y, resolution, points]) => new Promise((resolve, reject) => {
    // RD New as every Dutch viewer defines it for proj4; the source is told it is the tile matrix set's CRS.
    proj4.defs("EPSG:28992", "+proj=sterea +lat_0=52.15616055555555 +lon_0=5.38763888888889 +k=0.9999079 +x_0=155000 "
      + "+y_0=463000 +ellps=bessel +towgs84=565.417,50.3319,465.552,-0.398957,0.343988,-1.8774,4.0725 +units=m +no_defs");
    ol.proj.proj4.register(proj4);
    const source = new ol.source.OGCVectorTile({ url: tilesetUrl, format: new ol.format.MVT(), projection: "EPSG:28992" });
    source.on("tileloaderror", () => reject(new Error("a tile failed to load")));
    const layer = new ol.layer.VectorTile({ source });
    const map = new ol.Map({
      target: "map",
      layers: [layer],
      view: new ol.View({ projection: "EPSG:28992", center: [Number(x), Number(y)], resolution: Number(resolution) }),
    });
    const report = () => map.once("rendercomplete", () => {
      const grid = source.getTileGrid();
      resolve({
        gridOrigin: grid.getOrigin(0),
        gridResolutions: grid.getResolutions().slice(0, 3),
        hits: points.map((coordinate) => map.getFeaturesAtPixel(map.getPixelFromCoordinate(coordinate), { hitTolerance: 0 })
          .map((feature) => feature.getProperties())
          .map(({ geometry, ...properties }) => properties)),
      });
    });
    // The source reads the tileset and its tile matrix set first; only then are there tiles to draw.
    const whenReady = () => {
      if (source.getState() === "ready") { map.render(); report(); return true; }
      if (source.getState() === "error") { reject(new Error("the tileset could not be read")); return true; }
      return false;
    };
    if (!whenReady()) source.on("change", function listener() { if (whenReady()) source.un("change", listener); });
  }), [tilesetUrl, x, y, resolution, JSON.parse(pointsJson)]));
  await page.screenshot({ path: screenshot });
});
