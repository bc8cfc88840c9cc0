// Shared by the browser checks: Debian's headless Chromium driven by playwright-core (both
// installed by `make install` / scripts/system-packages.sh). `check(origin, viewport, gl, run)`
// opens a page, records every problem a user would notice (console errors, page errors, failed
// (not cancelled) or 4xx/5xx requests, requests to other hosts), lets `run(page, result)` fill
// the result, and prints it as one JSON line.
import { chromium } from "playwright-core";

export async function check(origin, viewport, gl, run) {
  const problems = [];
  const result = { problems };
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    // WebGL without a GPU (MapLibre) needs Chromium's software renderer; Leaflet needs none.
    args: ["--no-sandbox", "--disable-background-networking",
      ...(gl ? ["--use-angle=swiftshader", "--enable-unsafe-swiftshader"] : ["--disable-gpu"])],
  });
  try {
    const page = await browser.newPage({ viewport });
    // Waits guard against a hang, not against a slow machine: 10 minutes, not playwright's 30 s.
    page.setDefaultTimeout(600_000);
    page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    // A request the page cancels itself (a new page, a tile that left the view) is not a
    // failure a user sees; any other (reset, refused, empty reply) is, with its reason.
    page.on("requestfailed", (r) => {
      const reason = r.failure()?.errorText ?? "";
      if (reason !== "net::ERR_ABORTED") problems.push(`request failed: ${r.url()} (${reason})`);
    });
    page.on("request", (r) => {
      if (!r.url().startsWith(origin) && !r.url().startsWith("data:") && !r.url().startsWith("blob:")) problems.push(`external request: ${r.url()}`);
    });
    page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
    await run(page, result);
  } catch (error) {
    problems.push(`error: ${error.message}`);
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(result));
}
