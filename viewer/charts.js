/* Charts for the profile and comparison pages, drawn with Observable Plot (global `Plot`, from npm).
 * Every chart comes with its data as a table (the accessible alternative, and what print and
 * screen readers use); the SVG carries an aria-label that says what it shows. Exposed as
 * window.WMCharts. Series are told apart by colour and by marker shape, so colour is never the
 * only cue. */
(function () {
  "use strict";

  const { esc, fmt, withUnit } = window.WM;
  // Region, wijk, gemeente, Nederland: distinct on white at AA contrast, and in greyscale print.
  const COLOURS = ["#08519c", "#6a3d9a", "#b35806", "#252525", "#1b7837", "#c51b7d", "#35978f", "#8c510a"];
  const SYMBOLS = ["circle", "square", "diamond", "triangle", "cross", "star", "wye", "times"];

  function chartWidth(container) {
    // The container is visible when drawn (charts render when their details opens).
    return Math.max(280, Math.min(680, container.clientWidth || 640));
  }

  function valueText(value, decimals, unit) {
    return value === null || value === undefined ? "geen cijfer" : withUnit(fmt(value, decimals), unit);
  }

  // The table beside a chart: rows of [label, ...cells]; a cell is a value or {text} (e.g. a break).
  function dataTable(caption, head, rows, decimals, unit) {
    const cell = (c) => (c !== null && typeof c === "object"
      ? `<td colspan="${head.length - 1}" class="break-note">${esc(c.text)}</td>`
      : `<td class="num">${esc(valueText(c, decimals, unit))}</td>`);
    return `<details class="data-table"><summary>Tabel bij de grafiek: ${esc(caption)}</summary>` +
      `<div class="table-wrap"><table class="figures"><caption>${esc(caption)}</caption><thead><tr>` +
      head.map((h, i) => `<th scope="col"${i ? ' class="num"' : ""}>${esc(h)}</th>`).join("") + "</tr></thead><tbody>" +
      rows.map((r) => `<tr><th scope="row">${esc(r[0])}</th>${r.slice(1).map(cell).join("")}</tr>`).join("") +
      "</tbody></table></div></details>";
  }

  function label(svg, text) {
    // Plot names its mark groups with aria-label ("line", "bar"); inside an image those are not
    // allowed (axe: aria-prohibited-attr) and say nothing: the chart's one label and its table do.
    svg.querySelectorAll("[aria-label], [aria-description]").forEach((e) => { e.removeAttribute("aria-label"); e.removeAttribute("aria-description"); });
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", text);
    const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
    title.textContent = text;
    svg.insertBefore(title, svg.firstChild);
  }

  function scaleOptions(names) {
    return {
      color: { domain: names, range: COLOURS.slice(0, names.length), legend: true },
      symbol: { domain: names, range: SYMBOLS.slice(0, names.length) },
    };
  }

  /* A trend line per series over the years.
   * spec: {title, unit, decimals, years: [..], series: [{name, values: {year: value|null}}],
   *        breaks: [{year, text}]}: the lines are interrupted before each break year. */
  function trend(container, spec) {
    const years = spec.years.slice().sort((a, b) => a - b);
    const breakYears = new Set(spec.breaks.map((b) => b.year));
    const names = spec.series.map((s) => s.name);
    const rows = [];
    spec.series.forEach((s) => {
      let piece = 0;
      years.forEach((year) => {
        if (breakYears.has(year)) piece += 1;
        const value = s.values[year];
        // z: one line per series and piece between breaks; a year without value leaves a gap.
        rows.push({ series: s.name, year, value: value === null || value === undefined ? NaN : value, z: s.name + "|" + piece });
      });
    });
    // A break is marked between the year before it and its year; at the series' first year there
    // is no line to interrupt, and only its text is shown.
    const marks = spec.breaks.filter((b) => years.some((y) => y < b.year)).map((b) => {
      const before = years.filter((y) => y < b.year).pop();
      return { x: (before + b.year) / 2, year: b.year, text: b.text };
    });
    const width = chartWidth(container);
    const description = `${spec.title}: verloop ${years[0]}–${years[years.length - 1]} voor ${names.join(", ")}` +
      (marks.length ? `; breuk in de reeks vóór ${marks.map((m) => m.year).join(", ")}, de lijnen zijn daar onderbroken` : "") +
      ". De tabel hieronder geeft dezelfde cijfers.";
    const chart = Plot.plot(Object.assign({
      width,
      height: 230,
      marginLeft: 64,
      marginRight: 16,
      style: { fontSize: "12px", color: "#252525", background: "#ffffff" },
      x: { label: "Jaar", ticks: years, tickFormat: (y) => String(y), domain: [years[0] - 0.3, years[years.length - 1] + 0.3] },
      y: { label: spec.unit, grid: true, tickFormat: (v) => fmt(v, spec.decimals > 1 ? 1 : spec.decimals) },
      marks: [
        Plot.ruleX(marks, { x: "x", stroke: "#525252", strokeDasharray: "5,4" }),
        Plot.text(marks, { x: "x", text: () => "breuk", frameAnchor: "top", dy: 4, fill: "#525252", fontSize: 11 }),
        Plot.lineY(rows, { x: "year", y: "value", z: "z", stroke: "series", strokeWidth: 2 }),
        Plot.dot(rows, {
          x: "year", y: "value", stroke: "series", fill: "series", symbol: "series", r: 3.5,
          title: (d) => `${d.series}, ${d.year}: ${valueText(d.value, spec.decimals, spec.unit)}`,
        }),
      ],
    }, scaleOptions(names)));
    label(lastSvg(chart), description);
    const head = ["Jaar"].concat(names);
    const tableRows = [];
    years.forEach((year) => {
      spec.breaks.filter((b) => b.year === year).forEach((b) => tableRows.push([`Breuk vóór ${year}`, { text: b.text }]));
      tableRows.push([String(year)].concat(spec.series.map((s) => (s.values[year] === undefined ? null : s.values[year]))));
    });
    const figure = document.createElement("div");
    figure.className = "chart";
    figure.appendChild(chart);
    container.appendChild(figure);
    if (spec.breaks.length) {
      container.insertAdjacentHTML("beforeend", spec.breaks.map((m) => `<p class="break-note"><strong>Breuk in de reeks vóór ${m.year}:</strong> ${esc(m.text)}</p>`).join(""));
    }
    container.insertAdjacentHTML("beforeend", dataTable(`${spec.title}, ${names.join(", ")}, per jaar`, head, tableRows, spec.decimals, spec.unit));
  }

  // Plot wraps a chart with a legend in a <figure>; the chart's own SVG is the last one.
  function lastSvg(node) {
    if (node.tagName.toLowerCase() === "svg") return node;
    const all = node.querySelectorAll("svg");
    return all.length ? all[all.length - 1] : null;
  }

  /* Horizontal bars: a value per group, one bar per series (region, gemeente, Nederland).
   * spec: {title, unit, decimals, groups: [{id, name}], series: [{name, values: {group: value|null}}]} */
  function groupBars(container, spec) {
    const names = spec.series.map((s) => s.name);
    const rows = [];
    spec.groups.forEach((g) => spec.series.forEach((s) => {
      const value = s.values[g.id];
      if (value !== null && value !== undefined) rows.push({ group: g.name, series: s.name, value });
    }));
    const width = chartWidth(container);
    const narrow = width < 480;
    const marginLeft = narrow ? 120 : 220;
    const barHeight = 14;
    const description = `${spec.title}: staafdiagram per groep voor ${names.join(", ")}. De tabel hieronder geeft dezelfde cijfers.`;
    const chart = Plot.plot(Object.assign({
      width,
      height: 40 + spec.groups.length * (names.length * barHeight + 12),
      marginLeft,
      marginRight: 56,
      style: { fontSize: "12px", color: "#252525", background: "#ffffff" },
      x: { label: spec.unit, grid: true, tickFormat: (v) => fmt(v, 0), ticks: narrow ? 3 : 6 },
      y: { axis: null, domain: names },
      fy: { label: null, domain: spec.groups.map((g) => g.name), padding: 0.15 },
      marks: [
        Plot.axisFy({ anchor: "left", lineWidth: marginLeft / 7, textAnchor: "end" }),
        Plot.barX(rows, { fy: "group", y: "series", x: "value", fill: "series" }),
        Plot.text(rows, {
          fy: "group", y: "series", x: "value", text: (d) => fmt(d.value, spec.decimals), dx: 4, textAnchor: "start", fill: "#252525", fontSize: 10,
        }),
        Plot.ruleX([0], { stroke: "#525252" }),
      ],
    }, { color: { domain: names, range: COLOURS.slice(0, names.length), legend: true } }));
    label(lastSvg(chart), description);
    const figure = document.createElement("div");
    figure.className = "chart";
    figure.appendChild(chart);
    container.appendChild(figure);
    const tableRows = spec.groups.map((g) => [g.name].concat(spec.series.map((s) => (s.values[g.id] === undefined ? null : s.values[g.id]))));
    container.insertAdjacentHTML("beforeend", dataTable(`${spec.title}, per groep`, ["Groep"].concat(names), tableRows, spec.decimals, spec.unit));
  }

  window.WMCharts = { trend, groupBars, COLOURS };
})();
