/* The printable report of a region and group: a title block with the date, a static map of one
 * indicator with its legend, the profile tables of every theme, definitions and sources. The
 * print stylesheet (pages.css) makes it a clean A4; body[data-ready="true"] says it is complete
 * (the map image included), which tests wait for before printing. */
(function () {
  "use strict";

  const { esc, getJSON, LEVEL_TITLES, LEVEL_PLURALS } = window.WM;
  const P = window.WMProfile;
  const $ = (id) => document.getElementById(id);
  const code = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
  const params = new URLSearchParams(location.search);

  function published(catalog, level, year) {
    return ((catalog.levels[level] || {}).published || {})[String(year)] || {};
  }

  // The map's indicator: the one asked for if the map can show it for this group, else the profile's default.
  function mapIndicator(region, catalog, group, year, wanted) {
    const onMap = published(catalog, region.level, year);
    const ok = (i) => (onMap[i] || []).includes(group);
    if (wanted && ok(wanted)) return wanted;
    const first = P.defaultIndicator(region, catalog, group, year, "");
    if (first && ok(first)) return first;
    return Object.keys(P.figuresFor(region, group, year)).find(ok) || "";
  }

  function legendHtml(legend) {
    const row = (e) => `<li><span class="swatch" style="background:${esc(e.colour)}"></span>${esc(e.label)} <span class="muted">(${esc(e.count)})</span></li>`;
    const rows = legend.classes.map(row);
    ["withheld", "no_value"].forEach((k) => { if (legend[k] && legend[k].count) rows.push(row(legend[k])); });
    // Nederland's value for reference; why it is missing is in the footnotes of the tables.
    if (legend.nederland && legend.nederland.value !== null && legend.nederland.label) rows.push(`<li class="small">${esc(legend.nederland.label)}</li>`);
    return `<p class="small"><strong>Legenda</strong>: ${esc(legend.title)}, ${esc(legend.group_title.toLowerCase())}, ${esc(legend.year)}</p><ul>${rows.join("")}</ul>` +
      `<p class="small">Het gebied van dit rapport is dik omlijnd. Aantal ${esc(LEVEL_PLURALS[legend.level] || legend.level)} per klasse tussen haakjes.</p>`;
  }

  async function showMap(region, catalog, group, year, indicator) {
    if (!indicator) return;
    const level = region.level;
    const within = region.parents.gemeente ? region.parents.gemeente.code : "";
    const query = new URLSearchParams({ level, year, group });
    if (within) query.set("within", within);
    const legend = await getJSON(`/legend/${encodeURIComponent(indicator)}.json?${query}`);
    const title = region.indicators[indicator].title;
    const area = within ? `de ${LEVEL_PLURALS[level]} van gemeente ${region.parents.gemeente.name}` : `alle ${LEVEL_PLURALS[level]}`;
    $("map-title").textContent = `Kaart: ${title}`;
    $("legend").innerHTML = legendHtml(legend);
    const img = $("map");
    img.alt = `Kaart van ${title.toLowerCase()} (${P.groupTitle(catalog, group).toLowerCase()}, ${year}) voor ${area}, ingekleurd in de klassen van de legenda; ${region.name} is omlijnd.`;
    $("map-caption").textContent = img.alt;
    img.src = `/regions/${encodeURIComponent(region.code)}/map.svg?` + new URLSearchParams({ indicator, group, year });
    $("map-section").hidden = false;
    await img.decode();  // the report is ready only with its map
  }

  function definitionsHtml(region, catalog, group, year) {
    const ids = Object.keys(P.figuresFor(region, group, year));
    const order = Object.keys(catalog.indicators);
    ids.sort((a, b) => catalog.themes.indexOf(region.indicators[a].theme) - catalog.themes.indexOf(region.indicators[b].theme) || order.indexOf(a) - order.indexOf(b));
    return ids.map((id) => {
      const ind = region.indicators[id];
      return `<dt>${esc(ind.title)}</dt><dd>${esc(ind.definition)} Eenheid: ${esc(ind.unit)}. Bron: ${esc(ind.source)}.</dd>`;
    }).join("");
  }

  async function start() {
    const [region, catalog] = await Promise.all([getJSON("/regions/" + encodeURIComponent(code)), getJSON("/catalog")]);
    const groups = P.groupsOf(region, catalog);
    const group = groups.includes(params.get("group")) ? params.get("group") : "totaal";
    const years = P.yearsOf(region, group);
    const year = years.map(String).includes(params.get("year")) ? params.get("year") : String(years[years.length - 1]);
    const indicator = mapIndicator(region, catalog, group, year, params.get("indicator"));
    const level = LEVEL_TITLES[region.level] || region.level;
    const today = new Date();
    const date = today.toLocaleDateString("nl-NL", { day: "numeric", month: "long", year: "numeric" });

    document.title = `${region.name}: rapport ${year} – Wijkmonitor`;
    $("title").textContent = `Wijkprofiel ${region.name}`;
    const meta = [
      ["Gebied", `${region.name} (${level} ${region.code})`],
      ["Ligt in", P.parentsText(region) || "Nederland"],
      ["Groep", P.groupTitle(catalog, group)],
      ["Jaar", year],
      ["Vergeleken met", P.comparisons(region).map((k) => P.namedParent(region, k)).join(", ")],
      ["Datum", date],
    ];
    $("meta").innerHTML = meta.map(([k, v]) => `<dt>${esc(k)}</dt><dd${k === "Datum" ? ` id="date" data-date="${today.toISOString().slice(0, 10)}"` : ""}>${esc(v)}</dd>`).join("");
    if (group !== "totaal") {
      $("group-note").textContent = window.WM.GROUP_NOTE_TEXT;
      $("group-note").hidden = false;
    }
    const state = { group, year, indicator };
    $("link-profile").href = `/profiel/${encodeURIComponent(region.code)}?` + new URLSearchParams(state);
    $("link-map").href = P.mapUrl(region, state);
    $("print").addEventListener("click", () => window.print());

    const note = P.notes();
    $("themes").innerHTML = P.themesHtml(region, catalog, group, year, note, { details: false });
    $("footnotes").innerHTML = note.html();
    $("definitions").innerHTML = definitionsHtml(region, catalog, group, year);
    $("colophon").textContent = `${region.attribution}. Gemaakt met Wijkmonitor op ${date}. Online: ${location.origin}/profiel/${region.code}?${new URLSearchParams(state)}`;
    await showMap(region, catalog, group, year, indicator);
    document.body.dataset.ready = "true";
  }

  start().catch((error) => {
    window.WM.showMessage("Het rapport kan niet worden getoond: " + error.message);
    document.body.dataset.ready = "error";
  });
})();
