/* Free comparison (/vergelijk): up to 8 regions of any level and gemeente, one or more groups,
 * one indicator and year, as a table and a bar chart (Observable Plot) side by side. The whole
 * choice lives in the URL, so the address is the permalink:
 *   /vergelijk?regions=WK034401,WK059901&groups=totaal,man&indicator=inwoners&year=2024 */
(function () {
  "use strict";

  const { fmt, esc, getJSON, figureCell, withUnit, LEVEL_TITLES, capitalise, showMessage, options } = window.WM;
  const MAX_REGIONS = 8;
  const MAX_GROUPS = 8;
  const NEDERLAND = "NL00";
  const $ = (id) => document.getElementById(id);

  let catalog = null;
  // code -> {name, level, gemeente_name}: from the search and from the figures' rows
  const regionInfo = { NL00: { code: NEDERLAND, name: "Nederland", level: "land" } };
  const state = readState();
  let rows = [];  // the table's rows, one per region and group, in the order chosen

  // ---- state in the URL --------------------------------------------------------------
  function readState() {
    const params = new URLSearchParams(location.search);
    const list = (key) => (params.get(key) || "").split(",").map((v) => v.trim()).filter(Boolean);
    return {
      regions: [...new Set(list("regions").map((c) => c.toUpperCase()))].slice(0, MAX_REGIONS),
      groups: [...new Set(list("groups").concat(list("group")))].slice(0, MAX_GROUPS),
      indicator: params.get("indicator") || "",
      year: params.get("year") || "",
    };
  }

  function query() {
    const params = new URLSearchParams();
    if (state.regions.length) params.set("regions", state.regions.join(","));
    params.set("groups", state.groups.join(","));
    params.set("indicator", state.indicator);
    params.set("year", state.year);
    return params;
  }

  function writeState() {
    const url = location.pathname + "?" + query().toString().replace(/%2C/g, ",");
    history.replaceState(null, "", url);
    $("permalink").href = url;
  }


  // ---- what the catalog offers ---------------------------------------------------------
  // Every level's published figures: an indicator, year or group is offered when any level has it.
  function publishedLevels() {
    return Object.values(catalog.levels).map((l) => l.published || {});
  }

  function yearsOf(indicator) {
    const years = new Set();
    publishedLevels().forEach((p) => Object.entries(p).forEach(([y, inds]) => { if (inds[indicator]) years.add(y); }));
    return [...years].sort().reverse();
  }

  function groupsOf(indicator, year) {
    const groups = new Set();
    publishedLevels().forEach((p) => ((p[year] || {})[indicator] || []).forEach((g) => groups.add(g)));
    return Object.keys(catalog.groups).filter((g) => groups.has(g));
  }


  function fillControls() {
    const offered = Object.keys(catalog.indicators).filter((i) => yearsOf(i).length);
    if (!offered.includes(state.indicator)) state.indicator = offered.includes("inwoners") ? "inwoners" : offered[0];
    const themes = catalog.themes.filter((t) => offered.some((i) => catalog.indicators[i].theme === t));
    const theme = options($("theme"), themes.map((t) => [t, capitalise(t)]), catalog.indicators[state.indicator].theme);
    state.indicator = options($("indicator"), offered.filter((i) => catalog.indicators[i].theme === theme).map((i) => [i, catalog.indicators[i].title.nl]), state.indicator);
    state.year = options($("year"), yearsOf(state.indicator).map((y) => [y, y]), state.year);
    const groups = groupsOf(state.indicator, state.year);
    state.groups = state.groups.filter((g) => catalog.groups[g]);
    if (!state.groups.length) state.groups = ["totaal"];
    const more = groups.filter((g) => !state.groups.includes(g));
    options($("group-choice"), more.length ? more.map((g) => [g, catalog.groups[g].title.nl]) : [["", "geen andere groepen"]], "");
    $("group-choice").disabled = !more.length;
    $("add-group").disabled = state.groups.length >= MAX_GROUPS || !more.length;
  }

  // ---- chosen regions and groups -------------------------------------------------------
  function regionLabel(code) {
    const info = regionInfo[code] || { name: code };
    const where = info.gemeente_name && info.level !== "gemeente" ? `, ${info.gemeente_name}` : "";
    const level = info.level ? `${LEVEL_TITLES[info.level] || info.level}${where}` : code;
    return { name: info.name || code, detail: level };
  }

  function renderChips() {
    $("region-count").textContent = String(state.regions.length);
    $("chosen-regions").innerHTML = state.regions.length
      ? state.regions.map((code) => {
        const { name, detail } = regionLabel(code);
        return `<li><span>${esc(name)} <span class="small">(${esc(detail)})</span></span>` +
          `<button type="button" class="remove" data-region="${esc(code)}" aria-label="${esc(name)} verwijderen">×</button></li>`;
      }).join("")
      : '<li class="empty small">Nog geen gebieden gekozen.</li>';
    $("chosen-groups").innerHTML = state.groups.map((g) =>
      `<li><span>${esc(catalog.groups[g].title.nl)}</span>` +
      (state.groups.length > 1 ? `<button type="button" class="remove" data-group="${esc(g)}" aria-label="Groep ${esc(catalog.groups[g].title.nl)} verwijderen">×</button>` : "") +
      "</li>").join("");
    const full = state.regions.length >= MAX_REGIONS;
    $("search").disabled = full;
    $("search-help").textContent = full
      ? `U heeft ${MAX_REGIONS} gebieden gekozen, het maximum: verwijder er een om een ander toe te voegen.`
      : "Typ minstens 2 letters van een gemeente, wijk of buurt; kies met de pijltjestoetsen en Enter.";
    $("add-nl").disabled = full || state.regions.includes(NEDERLAND);
  }

  function addRegion(region) {
    if (state.regions.includes(region.code) || state.regions.length >= MAX_REGIONS) return;
    regionInfo[region.code] = region;
    state.regions.push(region.code);
    $("search-status").textContent = `${region.name} toegevoegd.`;
    update();
  }

  // A removed chip's button disappears: focus goes to the search box, not to the page's start.
  function onChipClick(event) {
    const button = event.target.closest("button.remove");
    if (!button) return;
    if (button.dataset.region) {
      state.regions = state.regions.filter((c) => c !== button.dataset.region);
      $("search-status").textContent = `${regionLabel(button.dataset.region).name} verwijderd.`;
      $("search").focus();
    } else {
      state.groups = state.groups.filter((g) => g !== button.dataset.group);
      $("group-choice").focus();
    }
    update();
  }

  // ---- figures -------------------------------------------------------------------------
  async function loadRows() {
    if (!state.regions.length) return [];
    const params = new URLSearchParams({ regions: state.regions.join(","), indicator: state.indicator, group: state.groups.join(","), year: state.year });
    const body = await getJSON("/figures?" + params.toString());
    $("attribution").textContent = body.attribution || "";
    body.figures.forEach((f) => { regionInfo[f.code] = { code: f.code, name: f.name, level: f.level, gemeente_name: f.gemeente_name }; });
    // One row per region and group, in the order chosen; the server says why a figure is missing.
    return state.regions.flatMap((code) => state.groups.map((group) => body.figures.find((r) => r.code === code && r.group === group)))
      .filter(Boolean);
  }

  function profileLink(row) {
    const { name } = regionLabel(row.code);
    if (row.code === NEDERLAND) return esc(name);
    const params = new URLSearchParams({ group: row.group, year: state.year });
    return `<a href="/profiel/${encodeURIComponent(row.code)}?${params.toString()}">${esc(name)}</a>`;
  }

  function renderTable() {
    const ind = catalog.indicators[state.indicator];
    const groupTitle = catalog.groups;
    $("table-caption").textContent = `${ind.title.nl} (${ind.unit}), ${state.year}`;
    const body = $("compare-table").querySelector("tbody");
    if (!rows.length) {
      body.innerHTML = '<tr><td colspan="5">Kies hierboven een of meer gebieden.</td></tr>';
      return;
    }
    body.innerHTML = rows.map((r) => {
      const gemeente = r.level === "gemeente" ? "" : r.gemeente_name || "";
      return `<tr data-code="${esc(r.code)}" data-group="${esc(r.group)}"${r.value !== null ? ` data-value="${r.value}"` : ""}>` +
        `<th scope="row">${profileLink(r)}</th><td class="col-level">${esc(LEVEL_TITLES[r.level] || r.level)}</td><td>${esc(gemeente)}</td>` +
        `<td>${esc(groupTitle[r.group] ? groupTitle[r.group].title.nl : r.group)}</td>` +
        figureCell(r, ind.decimals || 0, ind.unit, catalog.statuses) + "</tr>";
    }).join("");
  }

  function rowLabel(row) {
    const { name } = regionLabel(row.code);
    const where = row.gemeente_name && row.gemeente_name !== name ? ` (${row.gemeente_name})` : "";
    return name + where + (state.groups.length > 1 ? " – " + row.group_title : "");
  }

  function renderChart() {
    const holder = $("chart-plot");
    holder.innerHTML = "";
    const ind = catalog.indicators[state.indicator];
    const decimals = ind.decimals || 0;
    const data = rows.filter((r) => r.value !== null).map((r) => ({ label: rowLabel(r), value: r.value, group: r.group_title, code: r.code }));
    if (!data.length) {
      holder.innerHTML = `<p class="small">${rows.length ? "Geen van de gekozen gebieden heeft een cijfer: zie de tabel." : "Nog niets te tonen."}</p>`;
      return;
    }
    const width = Math.max(280, holder.clientWidth || 480);
    const several = state.groups.length > 1;
    const label = `Staafdiagram: ${ind.title.nl} (${ind.unit}), ${state.year}, ` +
      data.map((d) => `${d.label}: ${withUnit(fmt(d.value, decimals), ind.unit)}`).join("; ");
    const marginLeft = Math.round(Math.min(220, width * 0.42));
    const plot = Plot.plot({
      width: width,
      height: 64 + data.length * 32,
      marginLeft: marginLeft,
      marginRight: 64,
      marginBottom: 44,
      style: { fontSize: "13px", color: "#252525" },
      x: { label: ind.unit, labelAnchor: "center", labelArrow: "none", labelOffset: 38, grid: true, tickFormat: (v) => new Intl.NumberFormat("nl-NL").format(v) },
      y: { label: null, domain: data.map((d) => d.label) },
      color: several ? { legend: true, domain: state.groups.map((g) => catalog.groups[g].title.nl), scheme: "tableau10" } : undefined,
      marks: [
        Plot.barX(data, { x: "value", y: "label", fill: several ? "group" : "#2171b5", title: (d) => `${d.label}: ${withUnit(fmt(d.value, decimals), ind.unit)}` }),
        Plot.text(data, { x: "value", y: "label", text: (d) => fmt(d.value, decimals), textAnchor: "start", dx: 4, fill: "#252525" }),
        Plot.ruleX([0], { stroke: "#525252" }),
        // Long names are cut with an ellipsis (lineWidth in ems; DejaVu runs wider than Plot assumes);
        // the table has them in full.
        Plot.axisY({ textOverflow: "ellipsis", lineWidth: (marginLeft - 10) / 13 * 0.8, tickSize: 0 }),
      ],
    });
    // The main chart is the figure's own svg (a legend's swatches sit in their own div).
    const svg = plot.tagName.toLowerCase() === "svg" ? plot : Array.from(plot.children).filter((c) => c.tagName.toLowerCase() === "svg").pop();
    // The svg is one image with its own label; Plot's labels on the groups inside it are not
    // allowed there (axe: aria-prohibited-attr), so they move to data-mark.
    svg.querySelectorAll("[aria-label]").forEach((e) => { e.dataset.mark = e.getAttribute("aria-label"); e.removeAttribute("aria-label"); });
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
    holder.appendChild(plot);
  }

  function renderNotes() {
    const ind = catalog.indicators[state.indicator];
    const notes = [];
    if (ind.kind === "count") {
      const per = ind.compare && catalog.indicators[ind.compare];
      notes.push(`<p class="note count-note">${esc(ind.title.nl)} is een aantal: het hangt af van de grootte van het gebied, ` +
        "dus is het niet te vergelijken tussen gebieden van verschillende grootte." +
        (per ? ` Vergelijk liever <button type="button" class="switch" data-indicator="${esc(ind.compare)}">${esc(per.title.nl)}</button>.` : "") + "</p>");
    }
    if (state.groups.some((g) => g !== "totaal")) notes.push(`<p class="group-note">${esc(window.WM.GROUP_NOTE_TEXT)}</p>`);
    $("notes").innerHTML = notes.join("");
  }

  function renderLinks() {
    const csv = $("csv");
    csv.hidden = !state.regions.length;
    const params = new URLSearchParams({ regions: state.regions.join(","), indicator: state.indicator, group: state.groups.join(","), year: state.year });
    window.WM.setCsv(csv, "/figures.csv?" + params.toString().replace(/%2C/g, ","));
    const ind = catalog.indicators[state.indicator];
    $("result-title").textContent = `${ind.title.nl}, ${state.year}`;
  }

  let drawn = 0;
  async function update() {
    fillControls();
    renderChips();
    writeState();
    renderNotes();
    renderLinks();
    showMessage("");
    const ticket = ++drawn;  // a slower, older answer must not overwrite a newer choice
    let loaded;
    try {
      loaded = await loadRows();
    } catch (error) {
      showMessage("De cijfers konden niet worden geladen: " + error.message);
      loaded = [];
    }
    if (ticket !== drawn) return;
    rows = loaded;
    renderChips();  // names of regions that came with the figures
    renderTable();
    renderChart();
    document.body.dataset.ready = "true";
  }

  // ---- start ---------------------------------------------------------------------------
  async function start() {
    catalog = await getJSON("/catalog");
    window.WM.regionSearch({
      input: $("search"), list: $("search-results"), status: $("search-status"), onPick: addRegion,
      describe: (r) => {
        return `${r.name} – ${LEVEL_TITLES[r.level] || r.level}${r.gemeente_name && r.level !== "gemeente" ? " in " + r.gemeente_name : ""} (${r.code})`;
      },
    });
    $("add-nl").addEventListener("click", () => addRegion(regionInfo[NEDERLAND]));
    $("chosen-regions").addEventListener("click", onChipClick);
    $("chosen-groups").addEventListener("click", onChipClick);
    $("theme").addEventListener("change", () => {
      state.indicator = Object.keys(catalog.indicators).find((i) => catalog.indicators[i].theme === $("theme").value && yearsOf(i).length);
      update();
    });
    $("indicator").addEventListener("change", () => { state.indicator = $("indicator").value; update(); });
    $("year").addEventListener("change", () => { state.year = $("year").value; update(); });
    $("add-group").addEventListener("click", () => {
      const g = $("group-choice").value;
      if (g && !state.groups.includes(g)) state.groups.push(g);
      update();
    });
    $("notes").addEventListener("click", (event) => {
      const button = event.target.closest("button.switch");
      if (!button) return;
      state.indicator = button.dataset.indicator;
      update().then(() => $("indicator").focus());
    });
    let pending = false;
    window.addEventListener("resize", () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; renderChart(); });
    });
    await update();
  }

  start().catch((error) => showMessage("De vergelijking kon niet starten: " + error.message));
})();
