// Open the viewer once per case (a region selected through the URL's code=) in headless Chromium
// (see ../browser.mjs) and read what the panel and the legend say. Prints one JSON result.
//
//   node status_check.mjs ORIGIN CASES_JSON SCREENSHOT_PREFIX
//   CASES_JSON: [{"name": "...", "path": "/?indicator=...&code=..."}, ...]
import { check } from "../browser.mjs";

const [origin, casesJson, screenshotPrefix] = process.argv.slice(2);
const cases = JSON.parse(casesJson);

await check(origin, { width: 1280, height: 800 }, false, async (page, result) => {
  result.cases = [];
  for (const c of cases) {
    await page.goto(origin + c.path, { waitUntil: "networkidle" });
    await page.waitForSelector("#legend li");
    await page.waitForSelector("#panel .value");
    result.cases.push({
      name: c.name,
      value: await page.$eval("#panel .value", (e) => e.textContent),
      // the sentence right under the value: why there is none
      note: await page.$eval("#panel .value + p.note", (e) => e.textContent).catch(() => null),
      heading: await page.$eval("#panel h3", (e) => e.textContent),
      legend: await page.$eval("#legend", (e) => e.innerText),
    });
    await page.screenshot({ path: `${screenshotPrefix}-${c.name}.png` });
  }
});
