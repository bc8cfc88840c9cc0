/* The map as a table (viewer's "Tabel" button): every region of the map's level, year and group,
 * with its value, why it has none, and the colour of its class on the map. Sortable by each
 * column (a button in the header: click or Enter; aria-sort says the order). A region's name
 * selects it on the map, so every figure of the map is reachable by keyboard. Rows come from
 * /figures (the same numbers as the CSV link); classes and colours from the map's legend JSON. */
(function () {
  "use strict";

  const { esc, getJSON, figureCell, LEVEL_PLURALS } = window.WM;
  const COLUMNS = [
    { key: "name", title: "Gebied" },
    { key: "code", title: "Code" },
    { key: "value", title: "Waarde", num: true },
    { key: "class", title: "Klasse op de kaart" },
    { key: "reason", title: "Toelichting" },
  ];
  const byName = new Intl.Collator("nl", { numeric: true, sensitivity: "base" });

  // The legend entry whose colour the map gives this figure: a class by its bounds (lower
  // exclusive, upper inclusive, as the style's filters), grey when withheld, else "no value".
  function legendEntry(legend, row) {
    if (row.value !== null) {
      return (legend.classes || []).find((c) => (c.lower === null || c.lower === undefined || row.value > c.lower) &&
        (c.upper === null || c.upper === undefined || row.value <= c.upper)) || null;
    }
    if ((row.status === "withheld" || row.status === "protected") && legend.withheld) return legend.withheld;
    return legend.no_value || null;
  }

  function create({ section, table, title, note, csv, onPick }) {
    let rows = [];
    let view = null;  // {level, indicator, group, year, within, legend, ind, statuses, groupTitle}
    let sort = { key: "name", dir: "ascending" };

    function params() {
      const p = new URLSearchParams({ level: view.level, indicator: view.indicator, group: view.group, year: view.year });
      if (view.within) p.set("within", view.within);
      return p;
    }

    async function load(next) {
      view = next;
      window.WM.setCsv(csv, "/figures.csv?" + params().toString());
      const body = await getJSON("/figures?" + params().toString());
      const classes = !view.legend.analysis;  // a hotspot map's classes are not the figure's
      rows = body.figures.map((f, i) => {
        const entry = classes ? legendEntry(view.legend, f) : null;
        const classIndex = entry ? (view.legend.classes || []).indexOf(entry) : -1;
        return Object.assign({}, f, { entry: entry, order: i, classRank: classIndex >= 0 ? classIndex : entry ? 1000 : 2000 });
      });
      draw();
    }

    function compare(a, b) {
      const dir = sort.dir === "ascending" ? 1 : -1;
      if (sort.key === "value") {
        // Regions without a value come last in both orders.
        if (a.value === null || b.value === null) return (a.value === null) - (b.value === null);
        return dir * (a.value - b.value);
      }
      if (sort.key === "class") return dir * (a.classRank - b.classRank) || byName.compare(a.name, b.name);
      if (sort.key === "reason") return dir * byName.compare(a.status_text || "", b.status_text || "") || byName.compare(a.name, b.name);
      return dir * byName.compare(String(a[sort.key]), String(b[sort.key]));
    }

    function header() {
      return "<tr>" + COLUMNS.map((c) => {
        const sorted = sort.key === c.key;
        const arrow = sorted ? (sort.dir === "ascending" ? "▲" : "▼") : "";
        return `<th scope="col"${c.num ? ' class="num"' : ""}${sorted ? ` aria-sort="${sort.dir}"` : ""}>` +
          `<button type="button" class="sort" data-key="${c.key}">${esc(c.title)} <span aria-hidden="true">${arrow}</span></button></th>`;
      }).join("") + "</tr>";
    }

    function draw() {
      const ind = view.ind;
      const decimals = ind.decimals || 0;
      const sorted = rows.slice().sort(compare);
      const where = view.within ? ` in ${view.within}` : "";
      title.textContent = `${rows.length} ${LEVEL_PLURALS[view.level] || view.level}${where}: ${ind.title.nl} – ${view.groupTitle}, ${view.year}`;
      table.querySelector("caption").textContent = `${ind.title.nl} (${ind.unit}) per ${view.level}, ${view.groupTitle}, ${view.year}; ` +
        `gesorteerd op ${COLUMNS.find((c) => c.key === sort.key).title.toLowerCase()}, ${sort.dir === "ascending" ? "oplopend" : "aflopend"}`;
      note.textContent = view.legend.analysis
        ? "De kaart toont een analyse (hot- en coldspots of clusters): de klassen daarvan staan in de legenda, hier de cijfers zelf."
        : "Kies een gebied om het op de kaart te tonen. Klik op een kolomkop om te sorteren.";
      table.querySelector("thead").innerHTML = header();
      table.querySelector("tbody").innerHTML = sorted.map((r) => {
        const swatch = r.entry
          ? `<span class="swatch" data-colour="${esc(r.entry.colour)}" style="background:${esc(r.entry.colour)}"></span> ${esc(r.entry.label)}`
          : "";
        const reason = r.value === null ? (r.status_text || view.statuses[r.status] || r.status) : r.method || "";
        return `<tr data-code="${esc(r.code)}"${r.value !== null ? ` data-value="${r.value}"` : ""} data-status="${esc(r.status)}">` +
          `<th scope="row"><button type="button" class="pick" data-code="${esc(r.code)}">${esc(r.name)}</button></th>` +
          `<td>${esc(r.code)}</td>${figureCell(r, decimals, ind.unit, view.statuses)}<td class="class">${swatch}</td><td class="small">${esc(reason)}</td></tr>`;
      }).join("");
    }

    table.querySelector("thead").addEventListener("click", (event) => {
      const button = event.target.closest("button.sort");
      if (!button) return;
      const key = button.dataset.key;
      sort = { key: key, dir: sort.key === key && sort.dir === "ascending" ? "descending" : "ascending" };
      draw();
      table.querySelector(`button.sort[data-key="${key}"]`).focus();  // the header was redrawn
    });
    table.querySelector("tbody").addEventListener("click", (event) => {
      const button = event.target.closest("button.pick");
      if (button) onPick(button.dataset.code);
    });

    return { load: load, section: section };
  }

  window.WM.mapTable = create;
})();
