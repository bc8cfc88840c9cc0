/* Wijkmonitor viewer: Leaflet + VectorGrid, coloured by the server's style JSON.
 *
 * The style JSON is the single source of truth for breaks and colours: each fill layer's
 * filter is evaluated on the tile feature's properties, as MapLibre and QGIS do. The state
 * (indicator, group, year, level, classification, selected region, view) lives in the URL. */
(function () {
  "use strict";

  const EMBED = location.pathname.replace(/\/+$/, "").endsWith("/embed");
  const STATE_KEYS = ["indicator", "group", "year", "level", "method", "k", "fixed", "analysis", "within", "code", "z", "lat", "lng"];
  const { LEVEL_TITLES, LEVEL_PLURALS, fmt, withUnit, signed, esc, getJSON, capitalise, showMessage, options } = window.WM;
  const GROUP_NOTE = `<p class="small group-note">${esc(window.WM.GROUP_NOTE_TEXT)} <a href="#definitie">Wat betekent dit cijfer?</a></p>`;
  const COMPARE_TITLES = { wijk: "Wijk", gemeente: "Gemeente", nederland: "Nederland" };
  const $ = (id) => document.getElementById(id);

  const state = readState();
  let catalog = null;
  let grid = null;
  let fills = [];
  let outline = null;
  let highlighted = null;  // the hovered region's code
  // A region code in the URL is zoomed to once, unless the URL also fixes the view.
  let zoomToCode = Boolean(state.code) && !(state.lat && state.lng && state.z);

  if (EMBED) document.body.classList.add("embed");
  const map = L.map("map", { zoomControl: true, attributionControl: true });
  window.wijkmonitor = { map: map, state: state, ready: false };

  // ---- state in the URL --------------------------------------------------------------
  function readState() {
    const params = new URLSearchParams(location.search);
    const s = {};
    STATE_KEYS.forEach((k) => { if (params.has(k)) s[k] = params.get(k); });
    return s;
  }

  function writeState() {
    const params = new URLSearchParams();
    STATE_KEYS.forEach((k) => { if (state[k] !== undefined && state[k] !== null && state[k] !== "") params.set(k, state[k]); });
    history.replaceState(null, "", location.pathname + "?" + params.toString());
    // "Vergelijken" in the header starts from what the map shows (and the selected region).
    if (state.indicator) {
      const compare = new URLSearchParams({ groups: state.group || "totaal", indicator: state.indicator, year: state.year || "" });
      if (state.code) compare.set("regions", state.code);
      $("compare-link").href = "/vergelijk?" + compare.toString();
    }
  }

  function permalink(path) {
    return location.origin + path + location.search;
  }


  // ---- style expressions (the subset our styles use) ---------------------------------
  function evaluate(expr, props) {
    if (!Array.isArray(expr)) return expr;
    const op = expr[0];
    const args = expr.slice(1);
    switch (op) {
      case "all": return args.every((a) => evaluate(a, props));
      case "any": return args.some((a) => evaluate(a, props));
      case "has": return Object.prototype.hasOwnProperty.call(props, args[0]);
      case "get": return props[args[0]];
      case "==": return evaluate(args[0], props) === evaluate(args[1], props);
      case "!=": return evaluate(args[0], props) !== evaluate(args[1], props);
      case ">": case ">=": case "<": case "<=": {
        const a = evaluate(args[0], props);
        const b = evaluate(args[1], props);
        if (a === undefined || a === null) return false;
        return op === ">" ? a > b : op === ">=" ? a >= b : op === "<" ? a < b : a <= b;
      }
      default: throw new Error("expression not supported by the viewer: " + op);
    }
  }

  function featureStyle(props) {
    const layer = fills.find((l) => evaluate(l.filter, props));
    if (!layer) return [];  // outside the selection (e.g. another gemeente)
    return {
      fill: true,
      fillColor: layer.paint["fill-color"],
      fillOpacity: layer.paint["fill-opacity"] === undefined ? 0.85 : layer.paint["fill-opacity"],
      color: outline ? outline.paint["line-color"] : "#636363",
      weight: 0.7,
      opacity: 0.8,
    };
  }

  // ---- controls ----------------------------------------------------------------------

  function published(level, year) {
    return ((catalog.levels[level] || {}).published || {})[String(year)] || {};
  }

  function fillControls() {
    const levels = Object.keys(catalog.levels);
    state.level = options($("level"), levels.map((l) => [l, LEVEL_TITLES[l] || l]), state.level || (levels.includes("buurt") ? "buurt" : levels[0]));
    const years = catalog.levels[state.level].years.filter((y) => Object.keys(published(state.level, y)).length);
    state.year = options($("year"), years.slice().reverse().map((y) => [y, String(y)]), state.year || years[years.length - 1]);
    const available = published(state.level, state.year);
    const ids = Object.keys(catalog.indicators).filter((i) => available[i]);
    const themes = catalog.themes.filter((t) => ids.some((i) => catalog.indicators[i].theme === t));
    const currentTheme = state.indicator && catalog.indicators[state.indicator] ? catalog.indicators[state.indicator].theme : null;
    const theme = options($("theme"), themes.map((t) => [t, capitalise(t)]), $("theme").dataset.chosen || currentTheme);
    const inTheme = ids.filter((i) => catalog.indicators[i].theme === theme);
    state.indicator = options($("indicator"), inTheme.map((i) => [i, catalog.indicators[i].title.nl]), state.indicator);
    const groups = available[state.indicator] || [];
    state.group = options($("group"), groups.map((g) => [g, catalog.groups[g].title.nl]), state.group || "totaal");
    state.method = options($("method"), Array.from($("method").options).map((o) => [o.value, o.textContent]), state.method || "quantiles");
    state.k = options($("k"), [3, 4, 5, 6, 7].map((k) => [k, String(k)]), state.k || 5);
    $("fixed").checked = state.fixed === "true";
    state.analysis = options($("analysis"), Array.from($("analysis").options).map((o) => [o.value, o.textContent]), state.analysis || "");
    // Classification settings do not apply to a hotspot map.
    ["method", "k", "fixed"].forEach((id) => { $(id).disabled = Boolean(state.analysis); });
  }

  function onControlChange(event) {
    const id = event.target.id;
    if (id === "theme") {
      $("theme").dataset.chosen = $("theme").value;
      state.indicator = null;
    } else if (id === "fixed") {
      state.fixed = $("fixed").checked ? "true" : "";
    } else {
      state[id] = event.target.value;
    }
    fillControls();
    render();
  }

  // ---- map ---------------------------------------------------------------------------
  function styleParams() {
    const params = new URLSearchParams({ level: state.level, year: state.year, group: state.group });
    if (state.analysis) {
      params.set("analysis", state.analysis);
    } else {
      params.set("method", state.method);
      params.set("k", state.k);
      if (state.fixed === "true") params.set("fixed", "true");
    }
    if (state.within) params.set("within", state.within);
    return params;
  }

  async function render() {
    writeState();
    showMessage("");
    let style;
    let legend;
    try {
      style = await getJSON("/styles/" + encodeURIComponent(state.indicator) + ".json?" + styleParams());
      legend = await getJSON("/legend/" + encodeURIComponent(state.indicator) + ".json?" + styleParams());
    } catch (error) {
      showMessage("Deze kaart kan niet worden getoond: " + error.message);
      return;
    }
    fills = style.layers.filter((l) => l.type === "fill" && l["source-layer"] === state.level);
    outline = style.layers.find((l) => l.type === "line") || null;
    const source = style.sources.wijkmonitor;
    if (grid) map.removeLayer(grid);
    highlighted = null;
    const layerStyles = {};
    layerStyles[state.level] = (props) => featureStyle(props);
    layerStyles[state.level + "_label"] = [];
    grid = L.vectorGrid.protobuf(source.tiles[0], {
      vectorTileLayerStyles: layerStyles,
      interactive: true,
      getFeatureId: (f) => f.properties.code,
      maxNativeZoom: source.maxzoom,
      attribution: esc(source.attribution),
    });
    grid.on("click", (e) => select(e.layer.properties.code, e.layer.properties, false));
    grid.on("mouseover", (e) => highlight(e.layer.properties));
    grid.on("mouseout", () => highlight(null));
    grid.on("load", () => { window.wijkmonitor.ready = true; });
    grid.addTo(map);
    renderLegend(legend);
    if (!$("table-view").hidden) renderTable();
    if (state.code) await select(state.code, null, zoomToCode);
    zoomToCode = false;
  }

  // The selected region keeps a thick black outline, the hovered one a thinner one. The style is
  // a function of the feature's properties, keyed by layer, so VectorGrid also applies it to tiles
  // that load later (a region selected from the URL before its tile arrived) and leaves the label
  // layer's points (same code) undrawn.
  const SELECTED = { weight: 4, color: "#000000", opacity: 1 };
  const HOVERED = { weight: 3, color: "#000000", opacity: 1 };

  function restyle(code) {
    if (!code || !grid) return;
    const extra = code === state.code ? SELECTED : code === highlighted ? HOVERED : null;
    if (!extra) { grid.resetFeatureStyle(code); return; }
    const style = {};
    style[state.level] = (props) => {
      const base = featureStyle(props);
      return Array.isArray(base) ? base : Object.assign({}, base, extra);
    };
    style[state.level + "_label"] = [];
    grid.setFeatureStyle(code, style);
  }

  function highlight(props) {
    const previous = highlighted;
    highlighted = props ? props.code : null;
    restyle(previous);
    restyle(highlighted);
  }

  function legendRow(entry) {
    return `<li><span class="swatch" style="background:${esc(entry.colour)}"></span>${esc(entry.label)}<span class="count">${entry.count}</span></li>`;
  }

  let currentLegend = {};

  function renderLegend(legend) {
    currentLegend = legend;
    const title = legend.title + " – " + legend.group_title + ", " + legend.year;
    const rows = legend.classes.map(legendRow);
    ["withheld", "no_value", "no_neighbours"].forEach((key) => { if (legend[key] && legend[key].count) rows.push(legendRow(legend[key])); });
    (legend.statuses || []).filter((s) => s.status !== "withheld").forEach((s) => rows.push(`<li class="small status-reason">${esc(s.count)} × ${esc(s.label)}</li>`));
    (legend.computed || []).forEach((c) => rows.push(`<li class="small computed">${esc(c.count)} × ${esc(c.method)}</li>`));
    if (legend.nederland) rows.push(`<li class="small nederland">${esc(legend.nederland.label)}</li>`);
    const methods = { quantiles: "kwantielen", fisher_jenks: "Fisher-Jenks", natural_breaks: "natuurlijke grenzen", equal_interval: "gelijke intervallen", user: "eigen grenzen" };
    let subtitle;
    if (legend.analysis) {
      const a = legend.analysis;
      subtitle = `${esc(a.title)}; buren: ${a.weights === "queen" ? "grenzend (queen)" : esc(a.k) + " dichtstbijzijnde"}, ${a.permutations} permutaties${a.fdr ? ", FDR-correctie" : ""}`;
    } else {
      subtitle = `${esc(LEVEL_PLURALS[legend.level] || legend.level)}, indeling: ${esc(methods[legend.method] || legend.method)}${legend.fixed_breaks ? ", vaste grenzen over de jaren" : ""}`;
    }
    $("legend").innerHTML = `<h2>${esc(title)}</h2><div class="small">${subtitle}</div><ul>${rows.join("")}</ul><div class="small">${esc(legend.attribution)}</div>`;
  }

  // ---- region panel ------------------------------------------------------------------
  let clicked = null;

  // zoom: fit the map to the region's bbox (a code from the URL, the search or the table), not
  // on a click on the map, where the user already sees it.
  async function select(code, props, zoom) {
    clicked = props || null;
    const previous = state.code;
    state.code = code;
    writeState();
    if (previous !== code) restyle(previous);
    restyle(code);
    let region;
    try {
      region = await getJSON("/regions/" + encodeURIComponent(code));
    } catch (error) {
      showMessage("Gebied niet gevonden: " + error.message);
      return;
    }
    if (zoom && region.bbox) {
      const [w, s, e, n] = region.bbox;
      // Keep the region clear of the panel: at the right on a wide screen, a bottom sheet on a phone.
      const size = map.getSize();
      const phone = window.matchMedia("(max-width: 40rem)").matches;
      const clear = phone ? [20, Math.round(size.y * 0.55)] : [Math.min(400, size.x / 2), 20];
      map.fitBounds([[s, w], [n, e]], { maxZoom: 15, paddingTopLeft: [20, 20], paddingBottomRight: clear });
    }
    window.wijkmonitor.selected = code;
    renderPanel(region);
  }

  function unselect() {
    const previous = state.code;
    state.code = "";
    writeState();
    restyle(previous);
    $("panel").hidden = true;
    window.wijkmonitor.selected = null;
  }

  function renderPanel(region) {
    const ind = region.indicators[state.indicator] || catalog.indicators[state.indicator];
    const decimals = ind.decimals || 0;
    const unit = ind.unit;
    const figures = region.figures.filter((f) => f.indicator === state.indicator);
    const current = figures.find((f) => f.group === state.group && String(f.year) === String(state.year));
    const parents = Object.entries(region.parents).map(([k, p]) => `${esc(COMPARE_TITLES[k] || k)}: ${esc(p.name || p.code)}`).join(" · ");
    let html = `<button class="close" type="button" aria-label="Sluiten">×</button>` +
      `<h2 tabindex="-1">${esc(region.name)}</h2><div class="small">${esc(LEVEL_TITLES[region.level] || region.level)} ${esc(region.code)}${parents ? " · " + parents : ""}</div>` +
      `<h3>${esc(ind.title)} – ${esc(catalog.groups[state.group].title.nl)}, ${esc(state.year)}</h3>`;
    if (current && current.value !== null) {
      html += `<div class="value" data-value="${current.value}">${esc(withUnit(fmt(current.value, decimals), unit))}</div>`;
      if (current.method) html += `<p class="note">Berekend door wijkmonitor: ${esc(current.method.replace(/^berekend: /, ""))}</p>`;
      if (current.rank) html += `<div class="small">Plaats ${current.rank.position} van ${current.rank.of} ${esc(LEVEL_PLURALS[region.level] || region.level)} in de gemeente (hoogste waarde eerst)</div>`;
      if (state.group !== "totaal") html += GROUP_NOTE;
    } else {
      html += `<div class="value">–</div><p class="note">${esc(current && current.note ? current.note : "Geen gegevens voor deze selectie.")}</p>`;
    }
    if (state.analysis && clicked && clicked[state.analysis + "__class"]) {
      const cls = clicked[state.analysis + "__class"];
      const entry = (currentLegend.classes || []).concat([currentLegend.no_value, currentLegend.no_neighbours]).find((c) => c && c.class === cls);
      const label = entry ? entry.label : (cls === "geen_waarde" ? "Geen waarde: buiten de analyse" : cls === "geen_buren" ? "Geen buren: buiten de analyse" : cls);
      const stats = clicked[state.analysis + "__z"] !== undefined
        ? ` (z = ${fmt(clicked[state.analysis + "__z"], 2)}; p = ${fmt(clicked[state.analysis + "__p"], 3)})` : "";
      html += `<p class="analysis"><strong>${esc(currentLegend.analysis.title)}:</strong> ${esc(label)}${esc(stats)}</p>`;
    }
    // A count is not compared as it is (it grows with the region): the server sends no
    // difference, and the panel points to the catalog's per-1.000 indicator instead.
    const isCount = ind.kind === "count";
    const per = ind.compare || (catalog.indicators[state.indicator] || {}).compare;
    const unitNote = isCount ? unit : unit === "%" ? "%, verschil in %-punt" : unit;
    html += `<h4>Vergelijking <span class="small">(${esc(unitNote)})</span></h4><table class="compare"><tr><th></th><th>Waarde</th>${isCount ? "" : "<th>Verschil</th>"}</tr>`;
    const notes = [];
    ["wijk", "gemeente", "nederland"].forEach((kind) => {
      if (kind === "wijk" && region.level !== "buurt") return;
      if (kind === "gemeente" && region.level === "gemeente") return;
      const other = current && current[kind];
      const value = other && other.value !== null ? fmt(other.value, decimals) : "geen cijfer";
      const diff = other && other.difference !== null && other.difference !== undefined ? signed(other.difference, decimals) : "";
      html += `<tr><td>${COMPARE_TITLES[kind]}${other && other.method ? ' <abbr class="computed" title="' + esc(other.method) + '">(berekend)</abbr>' : ""}</td><td class="num">${esc(value)}</td>${isCount ? "" : `<td class="num diff">${esc(diff)}</td>`}</tr>`;
      if (other && other.method) notes.push(`${COMPARE_TITLES[kind]} ${other.method}`);
      if (kind === "nederland" && !(other && other.value !== null) && (region.nederland_notes || {})[state.year]) {
        notes.push(`Nederland: ${region.nederland_notes[state.year]}`);
      }
    });
    html += "</table>" + notes.map((n) => `<p class="small">${esc(n)}</p>`).join("");
    if (isCount) {
      const perInd = per && catalog.indicators[per];
      const onMap = perInd && published(state.level, state.year)[per];
      html += `<p class="small count-note">Een aantal hangt af van de grootte van het gebied en wordt daarom niet als verschil vergeleken.` +
        (perInd ? ` Vergelijk per 1.000: ${onMap ? `<button type="button" class="switch" data-indicator="${esc(per)}">${esc(perInd.title.nl)} op de kaart</button>` : esc(perInd.title.nl) + " (niet op dit niveau en in dit jaar)"}.` : "") + "</p>";
    }
    html += "<h4>Door de jaren</h4>" + trendHtml(figures, decimals, unit);
    const order = Object.keys(catalog.groups);
    const groups = figures.filter((f) => String(f.year) === String(state.year)).sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group));
    const max = Math.max(...groups.map((f) => f.value || 0), 0);
    html += "<h4>Per groep</h4><table>" + groups.map((f) => {
      const width = f.value !== null && max > 0 ? Math.round((f.value / max) * 80) : 0;
      const name = esc(catalog.groups[f.group].title.nl);
      return `<tr><td>${f.group === state.group ? "<strong>" + name + "</strong>" : name}</td>${figureCell(f, decimals, unit)}<td><span class="bar" style="width:${width}px"></span></td></tr>`;
    }).join("") + "</table>" + (groups.some((f) => f.group !== "totaal") ? GROUP_NOTE : "");
    const pageParams = new URLSearchParams({ group: state.group, year: state.year });
    const compareParams = new URLSearchParams({ regions: region.code, groups: state.group, indicator: state.indicator, year: state.year });
    html += `<p class="links"><a href="/profiel/${encodeURIComponent(region.code)}?${pageParams.toString()}" class="profile-link">Profiel</a>` +
      ` <a href="/vergelijk?${compareParams.toString()}" class="compare-link">Vergelijken met andere gebieden</a></p>`;
    html += `<h4 id="definitie">Wat betekent dit cijfer?</h4><p class="small">${esc(ind.definition)}</p><p class="small">Eenheid: ${esc(unit)}. Bron: ${esc(ind.source)}. ${esc(region.attribution)}</p>`;
    const panel = $("panel");
    panel.innerHTML = html;
    panel.hidden = false;
    panel.querySelector(".close").addEventListener("click", unselect);
    panel.querySelectorAll("button.switch").forEach((b) => b.addEventListener("click", () => switchIndicator(b.dataset.indicator)));
  }

  // ---- trend with breaks in the series -----------------------------------------------
  // A break (from /regions: figure.breaks) is a row of text between two years, and the line
  // of the sparkline stops there. For a definition break (herkomst), a group that exists on
  // one side only is shown beside the other side's groups, as separate series.
  function definitionBreak(group) {
    const dimension = (catalog.groups[group] || {}).dimension;
    const entry = Object.entries(catalog.breaks || {}).find(([, b]) => (b.dimensions || []).includes(dimension));
    return entry ? Object.assign({ kind: entry[0] }, entry[1]) : null;
  }

  function trendHtml(figures, decimals, unit) {
    const byYear = (a, b) => a.year - b.year;
    const own = figures.filter((f) => f.group === state.group).sort(byYear);
    const rule = definitionBreak(state.group);
    const otherSeries = (side) => {
      const order = Object.keys(catalog.groups);
      const groups = [...new Set(figures.filter((f) => f.group !== state.group && side(f.year) &&
        rule.dimensions.includes((catalog.groups[f.group] || {}).dimension)).map((f) => f.group))];
      return groups.sort((a, b) => order.indexOf(a) - order.indexOf(b))
        .map((g) => ({ group: g, figures: figures.filter((f) => f.group === g && side(f.year)).sort(byYear) }));
    };
    const before = rule && !own.some((f) => f.year < rule.year) ? otherSeries((y) => y < rule.year) : [];
    const after = rule && !own.some((f) => f.year >= rule.year) ? otherSeries((y) => y >= rule.year) : [];
    const titled = before.length > 0 || after.length > 0;
    const valueCell = (f) => figureCell(f, decimals, unit);
    const breakRow = (kind, text, year) =>
      `<tr class="break" data-break="${esc(kind)}"><td colspan="2"><strong>Breuk in de reeks</strong> (vóór ${esc(year)}): ${esc(text)}</td></tr>`;
    // skip(b, i): a break already shown by the row between the old and the new groups.
    const seriesRows = (series, label, skip) => series.map((f, i) =>
      (f.breaks || []).filter((b) => !skip(b, i)).map((b) => breakRow(b.kind, b.text, f.year)).join("") +
      `<tr><td>${f.year}${label ? ` <span class="small">${esc(label)}</span>` : ""}</td>${valueCell(f)}</tr>`).join("");
    const groupTitle = (g) => catalog.groups[g].title.nl;
    const caption = (text) => `<tr class="series"><th colspan="2">${esc(text)}</th></tr>`;
    const shownBetween = (b) => b.kind === rule.kind;
    let rows = "";
    if (before.length) {
      rows += caption(`Tot ${rule.year}: andere indeling`) + before.map((s) => seriesRows(s.figures, groupTitle(s.group), shownBetween)).join("");
      rows += breakRow(rule.kind, rule.text, rule.year);
    }
    if (titled) rows += caption(groupTitle(state.group));
    rows += seriesRows(own, "", (b, i) => before.length > 0 && i === 0 && shownBetween(b));
    if (after.length) {
      rows += breakRow(rule.kind, rule.text, rule.year);
      rows += caption(`Vanaf ${rule.year}: andere indeling`) + after.map((s) => seriesRows(s.figures, groupTitle(s.group), shownBetween)).join("");
    }
    return `<table class="trend">${rows}</table>` + sparkline(own, decimals, unit, titled ? groupTitle(state.group) : "");
  }

  // A small line of one series; a new piece starts after each break and each year without a value.
  function sparkline(series, decimals, unit, title) {
    const points = series.filter((f) => f.value !== null);
    if (points.length < 2) return "";
    const width = 200, height = 44, pad = 5;
    const years = series.map((f) => f.year);
    const [y0, y1] = [Math.min(...years), Math.max(...years)];
    const values = points.map((f) => f.value);
    const [v0, v1] = [Math.min(...values), Math.max(...values)];
    const x = (year) => pad + (y1 === y0 ? 0 : (year - y0) / (y1 - y0)) * (width - 2 * pad);
    const y = (value) => height - pad - (v1 === v0 ? 0.5 : (value - v0) / (v1 - v0)) * (height - 2 * pad);
    const pieces = [];
    let piece = [];
    const breaks = [];
    series.forEach((f, i) => {
      if ((f.breaks || []).length && i > 0) {
        breaks.push({ at: (x(series[i - 1].year) + x(f.year)) / 2, year: f.year, text: f.breaks.map((b) => b.text).join(" ") });
        pieces.push(piece);
        piece = [];
      }
      if (f.value === null) { pieces.push(piece); piece = []; } else piece.push(f);
    });
    pieces.push(piece);
    const lines = pieces.filter((p) => p.length > 1)
      .map((p) => `<polyline points="${p.map((f) => x(f.year).toFixed(1) + "," + y(f.value).toFixed(1)).join(" ")}" />`).join("");
    const dots = points.map((f) => `<circle cx="${x(f.year).toFixed(1)}" cy="${y(f.value).toFixed(1)}" r="2.5"><title>${f.year}: ${esc(withUnit(fmt(f.value, decimals), unit))}</title></circle>`).join("");
    const marks = breaks.map((b) => `<line class="break-mark" x1="${b.at.toFixed(1)}" x2="${b.at.toFixed(1)}" y1="0" y2="${height}"><title>Breuk in de reeks vóór ${b.year}: ${esc(b.text)}</title></line>`).join("");
    const label = `Verloop${title ? " " + title : ""} ${y0}–${y1}` + (breaks.length ? "; breuk in de reeks vóór " + breaks.map((b) => b.year).join(", ") + ": de lijn is daar onderbroken" : "");
    return `<svg class="sparkline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(label)}"><title>${esc(label)}</title>${marks}${lines}${dots}</svg>`;
  }

  // A figure as a table cell (common.js), with the catalog's Dutch text per status.
  function figureCell(f, decimals, unit) {
    return window.WM.figureCell(f, decimals, unit, catalog.statuses);
  }

  // ---- the map as a table -------------------------------------------------------------
  const mapTable = window.WM.mapTable({
    section: $("table-view"), table: $("map-table"), title: $("table-title"), note: $("table-note"), csv: $("table-csv"),
    onPick: (code) => pickRegion(code),
  });

  function renderTable() {
    mapTable.load({
      level: state.level, indicator: state.indicator, group: state.group, year: state.year, within: state.within,
      legend: currentLegend, ind: catalog.indicators[state.indicator], statuses: catalog.statuses || {},
      groupTitle: catalog.groups[state.group].title.nl,
    }).catch((error) => showMessage("De tabel kan niet worden getoond: " + error.message));
  }

  function toggleTable(open) {
    $("table-view").hidden = !open;
    $("table-toggle").setAttribute("aria-expanded", String(open));
    if (open) renderTable();
  }

  // A region chosen by keyboard (search, table): show it on the map, and its panel to read next.
  async function pickRegion(code) {
    toggleTable(false);
    await select(code, null, true);
    const heading = $("panel").querySelector("h2");
    if (heading) heading.focus();
  }

  // A count's panel offers its per-1.000 indicator: the map switches to it.
  function switchIndicator(id) {
    state.indicator = id;
    delete $("theme").dataset.chosen;
    fillControls();
    render();
  }

  // ---- share / embed -----------------------------------------------------------------
  function share() {
    const embedUrl = permalink("/embed");
    $("share-link").value = permalink("/");
    $("share-embed").value = `<iframe src="${embedUrl}" width="800" height="600" style="border:0" title="Wijkmonitor: ${catalog.indicators[state.indicator].title.nl}" loading="lazy"></iframe>`;
    $("share-dialog").showModal();
  }

  // ---- start -------------------------------------------------------------------------
  async function start() {
    const [config, cat] = await Promise.all([getJSON("/viewer/config.json"), getJSON("/catalog")]);
    catalog = cat;
    if (config.basemap_url) {
      L.tileLayer(config.basemap_url, { attribution: config.basemap_attribution || "", maxZoom: 19 }).addTo(map);
    }
    if (state.lat && state.lng && state.z) {
      map.setView([Number(state.lat), Number(state.lng)], Number(state.z));
    } else {
      const bounds = config.bounds;
      map.fitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]]);
    }
    map.on("moveend", () => {
      const c = map.getCenter();
      Object.assign(state, { z: map.getZoom(), lat: c.lat.toFixed(5), lng: c.lng.toFixed(5) });
      writeState();
    });
    fillControls();
    ["theme", "indicator", "group", "year", "level", "method", "k", "fixed", "analysis"].forEach((id) => $(id).addEventListener("change", onControlChange));
    $("share").addEventListener("click", share);
    $("table-toggle").addEventListener("click", () => {
      toggleTable($("table-view").hidden);
      if (!$("table-view").hidden) $("table-title").focus();
    });
    $("table-close").addEventListener("click", () => { toggleTable(false); $("table-toggle").focus(); });
    $("settings-toggle").addEventListener("click", () => {
      const open = !$("controls").classList.contains("open");
      $("controls").classList.toggle("open", open);
      $("settings-toggle").setAttribute("aria-expanded", String(open));
    });
    window.WM.regionSearch({
      input: $("region-search"), list: $("region-search-results"), status: $("region-search-status"),
      onPick: (region) => pickRegion(region.code),
      // Only regions of the map's level can be drawn and highlighted on it.
      params: () => Object.assign({ level: state.level }, state.within ? { within: state.within } : {}),
      describe: (r) => `${r.name} (${r.code})`,
    });
    await render();
  }

  start().catch((error) => showMessage("De viewer kon niet starten: " + error.message));
})();
