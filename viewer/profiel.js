/* A region's profile: every indicator of one population group and year, per theme, compared with
 * the region's wijk, gemeente and Nederland. The figures all come from /regions/{code}; the state
 * (group, year, chosen indicator) lives in the URL, so the page is a permalink.
 *
 * The rendering is shared with the printable report (rapport.js) as window.WMProfile; the
 * interactive page starts only where its container (#profiel) exists. */
(function () {
  "use strict";

  const { esc, fmt, withUnit, signed, figureCell, getJSON, LEVEL_TITLES, LEVEL_PLURALS, SHORT_STATUS, GROUP_NOTE_TEXT, capitalise, showMessage } = window.WM;
  const COMPARE_TITLES = { wijk: "Wijk", gemeente: "Gemeente", nederland: "Nederland" };

  function dimensionTitle(catalog, dimension) {
    return (((catalog.dimensions || {})[dimension] || {}).title || {}).nl || capitalise(dimension.replace(/_/g, " "));
  }

  function groupTitle(catalog, group) {
    return ((catalog.groups[group] || {}).title || {}).nl || group;
  }

  // The regions a profile compares with: the wijk of a buurt, the gemeente of a buurt or wijk, Nederland.
  function comparisons(region) {
    return ["wijk", "gemeente", "nederland"].filter((k) => k === "nederland" || region.parents[k]);
  }

  function compareName(region, kind) {
    return kind === "nederland" ? "Nederland" : region.parents[kind].name || region.parents[kind].code;
  }

  // "gemeente Utrecht", but "Wijk 01 West" rather than "wijk Wijk 01 West".
  function namedParent(region, kind) {
    const name = compareName(region, kind);
    return kind === "nederland" || name.toLowerCase().startsWith(kind) ? name : `${kind} ${name}`;
  }

  function parentsText(region) {
    return ["wijk", "gemeente"].filter((k) => region.parents[k]).map((k) => namedParent(region, k)).join(", ");
  }

  // A difference of percentages is in percentage points; other units stand under the indicator's name.
  function diffUnit(unit) {
    return unit === "%" ? "%-punt" : "";
  }

  // Footnotes: each distinct reason (why a figure is missing, how one was computed) gets a number,
  // shown as a link beside the figure and as visible text below the profile.
  function notes() {
    const list = [];
    return {
      ref(text) {
        let n = list.indexOf(text) + 1;
        if (!n) n = list.push(text);
        return ` <a class="fn" href="#noot-${n}" title="${esc(text)}"><span class="visually-hidden">toelichting </span>[${n}]</a>`;
      },
      html() {
        if (!list.length) return "";
        return `<section class="footnotes" aria-labelledby="noten-titel"><h2 id="noten-titel">Toelichting bij de cijfers</h2><ol>` +
          list.map((text, i) => `<li id="noot-${i + 1}">${esc(capitalise(text))}</li>`).join("") + "</ol></section>";
      },
    };
  }

  // More or less favourable, from the catalog's higher_is; composition and neutral figures get no judgement.
  function judgement(ind, difference) {
    if (difference === 0) return { cls: "neutral", word: "gelijk" };
    if (ind.kind === "composition" || (ind.higher_is !== "better" && ind.higher_is !== "worse")) return { cls: "neutral", word: "" };
    const favourable = (difference > 0) === (ind.higher_is === "better");
    return favourable ? { cls: "favourable", word: "▲▼"[difference > 0 ? 0 : 1] + " gunstiger" } : { cls: "unfavourable", word: "▲▼"[difference > 0 ? 0 : 1] + " ongunstiger" };
  }

  // The figures of one group and year, by indicator.
  function figuresFor(region, group, year) {
    const out = {};
    region.figures.forEach((f) => { if (f.group === group && String(f.year) === String(year)) out[f.indicator] = f; });
    return out;
  }

  // The groups this region has figures for, in the catalog's order.
  function groupsOf(region, catalog) {
    const present = new Set(region.figures.map((f) => f.group));
    return Object.keys(catalog.groups).filter((g) => present.has(g));
  }

  function yearsOf(region, group) {
    return [...new Set(region.figures.filter((f) => f.group === group).map((f) => f.year))].sort((a, b) => a - b);
  }

  // The region's own figure as a cell: value or short status, with its reason or method as footnote.
  function ownCell(f, ind, statuses, note, label) {
    const cell = figureCell(f, ind.decimals || 0, "", statuses);  // the unit stands under the indicator's name
    let extra = "";
    if (f.value === null) extra = note.ref(f.note || statuses[f.status] || f.status);
    else if (f.method) extra = note.ref("berekend door wijkmonitor: " + f.method.replace(/^berekend: /, ""));
    // One span per cell, so value and footnote stay together in the phone layout.
    return cell.replace(/^<td ([^>]*)>/, `<td data-label="${esc(label)}" $1><span class="val">`).replace(/<\/td>$/, extra + "</span></td>");
  }

  function compareCell(region, f, kind, ind, catalog, note, profileIds) {
    const decimals = ind.decimals || 0;
    const label = kind === "nederland" ? "Nederland" : `${COMPARE_TITLES[kind]}: ${compareName(region, kind)}`;
    const other = f[kind];
    let html;
    if (!other) {
      const why = kind === "nederland" ? (region.nederland_notes || {})[f.year] : null;
      html = '<span class="val">geen cijfer' + (why ? note.ref(`Nederland, ${f.year}: ${why}`) : "") + "</span>";
    } else if (other.value === null) {
      html = `<span class="val">${esc(SHORT_STATUS[other.status] || other.status)}${note.ref((catalog.statuses || {})[other.status] || other.status)}</span>`;
    } else {
      html = `<span class="val">${esc(fmt(other.value, decimals))}` +
        (other.method ? note.ref(`${COMPARE_TITLES[kind]} berekend door wijkmonitor: ${other.method.replace(/^berekend: /, "")}`) : "") + "</span>";
      if (other.difference !== null && other.difference !== undefined) {
        const j = judgement(ind, other.difference);
        html += `<span class="diff ${j.cls}">verschil ${esc(withUnit(signed(other.difference, decimals), diffUnit(ind.unit)))}` +
          (j.word ? ` <span class="judgement">${esc(j.word)}</span>` : "") + "</span>";
      }
    }
    return `<td class="num cmp" data-label="${esc(label)}">${html}</td>`;
  }

  // Counts are not compared as they are (they grow with a region's size): point to their per-1.000 figure.
  function countHint(ind, catalog, profileIds) {
    if (!ind.compare) return "";
    const target = catalog.indicators[ind.compare];
    const title = target ? target.title.nl : ind.compare;
    return profileIds.has(ind.compare)
      ? `<span class="count-hint">Aantal, niet vergeleken: <a href="#ind-${esc(ind.compare)}">zie per 1.000<span class="visually-hidden">: ${esc(title)}</span></a></span>`
      : `<span class="count-hint">Aantal, niet vergeleken: zie per 1.000 (${esc(title)})</span>`;
  }

  /* The profile tables, one section per theme in the catalog's order.
   * options.details: add a row with a <details> per indicator (definition and charts); the
   * report leaves it out and lists definitions at the end instead. */
  function themesHtml(region, catalog, group, year, note, options) {
    const figures = figuresFor(region, group, year);
    const kinds = comparisons(region);
    const ids = Object.keys(figures);
    const profileIds = new Set(ids);
    const level = LEVEL_TITLES[region.level] || region.level;
    const order = Object.keys(catalog.indicators);
    return catalog.themes.map((theme) => {
      const inTheme = ids.filter((i) => (region.indicators[i] || {}).theme === theme).sort((a, b) => order.indexOf(a) - order.indexOf(b));
      const slug = theme.replace(/[^a-z]+/g, "-");
      let body;
      if (!inTheme.length) {
        body = `<p class="muted no-figures">Geen cijfers over dit thema voor deze ${esc(level)} (${esc(groupTitle(catalog, group).toLowerCase())}, ${esc(year)}).</p>`;
      } else {
        const head = `<thead><tr><th scope="col">Indicator</th><th scope="col" class="num">${esc(capitalise(level))}</th>` +
          kinds.map((k) => `<th scope="col" class="num">${esc(COMPARE_TITLES[k])}<span class="th-name">${esc(k === "nederland" ? "" : compareName(region, k))}</span></th>`).join("") +
          "</tr></thead>";
        const rows = inTheme.map((id) => {
          const ind = region.indicators[id];
          const f = figures[id];
          const hint = ind.kind === "count" ? countHint(ind, catalog, profileIds) : "";
          let row = `<tr id="ind-${esc(id)}" data-indicator="${esc(id)}"><th scope="row">${esc(ind.title)}<span class="unit">${esc(ind.unit)}</span>${hint}</th>` +
            ownCell(f, ind, catalog.statuses || {}, note, capitalise(level)) +
            kinds.map((k) => compareCell(region, f, k, ind, catalog, note, profileIds)).join("") + "</tr>";
          if (options.details) {
            row += `<tr class="more"><td colspan="${2 + kinds.length}"><details class="about" data-indicator="${esc(id)}">` +
              `<summary>Uitleg, verloop en groepen<span class="visually-hidden">: ${esc(ind.title)}</span></summary><div class="about-body"></div></details></td></tr>`;
          }
          return row;
        }).join("");
        body = `<div class="table-wrap"><table class="figures profile"><caption class="visually-hidden">${esc(capitalise(theme))}: ` +
          `${esc(groupTitle(catalog, group))}, ${esc(year)}</caption>${head}<tbody>${rows}</tbody></table></div>`;
      }
      return `<section class="theme" id="thema-${slug}" data-theme="${esc(theme)}"><h2>${esc(capitalise(theme))}</h2>${body}</section>`;
    }).join("");
  }

  function definitionHtml(region, id) {
    const ind = region.indicators[id];
    return `<p>${esc(ind.definition)}</p><p class="small">Eenheid: ${esc(ind.unit)}. Bron: ${esc(ind.source)}.</p>`;
  }

  // The indicator the map and report links show: the chosen one, else the first with a value.
  function defaultIndicator(region, catalog, group, year, wanted) {
    const figures = figuresFor(region, group, year);
    if (wanted && figures[wanted]) return wanted;
    const order = Object.keys(catalog.indicators);
    const ids = Object.keys(figures).sort((a, b) => catalog.themes.indexOf(region.indicators[a].theme) - catalog.themes.indexOf(region.indicators[b].theme) || order.indexOf(a) - order.indexOf(b));
    return ids.find((i) => figures[i].value !== null) || ids[0] || "";
  }

  function csvUrl(region, group) {
    const codes = [region.code].concat(["wijk", "gemeente"].filter((k) => region.parents[k]).map((k) => region.parents[k].code), ["NL00"]);
    return `/figures.csv?regions=${codes.map(encodeURIComponent).join(",")}&group=${encodeURIComponent(group)}`;
  }

  function mapUrl(region, state) {
    const params = new URLSearchParams({ code: region.code, level: region.level, indicator: state.indicator, group: state.group, year: state.year });
    if (region.parents.gemeente) params.set("within", region.parents.gemeente.code);
    return "/?" + params;
  }

  window.WMProfile = {
    COMPARE_TITLES, capitalise, dimensionTitle, groupTitle, comparisons, compareName, namedParent, parentsText, notes,
    themesHtml, definitionHtml, figuresFor, groupsOf, yearsOf, defaultIndicator, csvUrl, mapUrl, diffUnit,
  };

  // ---- the interactive page ----------------------------------------------------------
  const root = document.getElementById("profiel");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const code = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
  const params = new URLSearchParams(location.search);
  const state = { group: params.get("group") || "totaal", year: params.get("year") || "", indicator: params.get("indicator") || "" };
  let region = null;
  let catalog = null;

  function writeState() {
    const p = new URLSearchParams({ group: state.group, year: state.year });
    if (state.indicator) p.set("indicator", state.indicator);
    history.replaceState(null, "", location.pathname + "?" + p);
  }


  function fillControls() {
    const groups = groupsOf(region, catalog);
    if (!groups.includes(state.group)) state.group = groups.includes("totaal") ? "totaal" : groups[0];
    const byDimension = {};
    groups.forEach((g) => { const d = catalog.groups[g].dimension; (byDimension[d] = byDimension[d] || []).push(g); });
    $("group").innerHTML = Object.entries(byDimension).map(([d, gs]) => d === "totaal"
      ? gs.map((g) => `<option value="${esc(g)}">${esc(groupTitle(catalog, g))}</option>`).join("")
      : `<optgroup label="${esc(dimensionTitle(catalog, d))}">${gs.map((g) => `<option value="${esc(g)}">${esc(groupTitle(catalog, g))}</option>`).join("")}</optgroup>`).join("");
    $("group").value = state.group;
    const years = region.years.slice().reverse();
    const withFigures = yearsOf(region, state.group);
    if (!years.map(String).includes(String(state.year))) state.year = String(withFigures.length ? withFigures[withFigures.length - 1] : years[0]);
    $("year").innerHTML = years.map((y) => `<option value="${y}">${y}${withFigures.includes(y) ? "" : " (geen cijfers voor deze groep)"}</option>`).join("");
    $("year").value = String(state.year);
  }

  function updateLinks() {
    state.indicator = defaultIndicator(region, catalog, state.group, state.year, state.indicator);
    $("link-map").href = mapUrl(region, state);
    $("link-report").href = `/rapport/${encodeURIComponent(region.code)}?` + new URLSearchParams({ group: state.group, year: state.year, indicator: state.indicator });
    $("link-compare").href = `/vergelijk?regions=${encodeURIComponent(region.code)}`;
    window.WM.setCsv($("link-csv"), csvUrl(region, state.group));
    writeState();
  }

  function render() {
    document.body.dataset.ready = "false";
    const note = notes();
    $("group-note").hidden = state.group === "totaal";
    $("summary").textContent = `${groupTitle(catalog, state.group)}, ${state.year}. Vergeleken met ` +
      comparisons(region).map((k) => namedParent(region, k)).join(", ") +
      (state.group === "totaal" ? "." : ", voor dezelfde groep.");
    $("themes").innerHTML = themesHtml(region, catalog, state.group, state.year, note, { details: true });
    $("footnotes").innerHTML = note.html();
    $("themes").querySelectorAll("details.about").forEach((d) => d.addEventListener("toggle", () => {
      if (!d.open) return;
      state.indicator = d.dataset.indicator;
      updateLinks();
      if (!d.dataset.drawn) {
        d.dataset.drawn = "true";
        drawDetails(d.querySelector(".about-body"), d.dataset.indicator);
      }
    }));
    updateLinks();
    document.body.dataset.group = state.group;
    document.body.dataset.year = state.year;
    document.body.dataset.ready = "true";
  }

  // ---- per indicator: definition, trend and group bars, drawn when its details opens ----
  function compareSeries(kind) {
    return { name: capitalise(namedParent(region, kind)), kind };
  }

  function drawDetails(body, id) {
    const ind = region.indicators[id];
    const figures = region.figures.filter((f) => f.indicator === id);
    const current = figures.find((f) => f.group === state.group && String(f.year) === String(state.year));
    let html = definitionHtml(region, id);
    if (current && current.rank) {
      html += `<p class="small">Plaats ${current.rank.position} van ${current.rank.of} ${esc(LEVEL_PLURALS[region.level] || region.level)} in de gemeente (${esc(current.rank.order)}).</p>`;
    }
    body.innerHTML = html + `<h3>Verloop<span class="visually-hidden">: ${esc(ind.title)}</span></h3><div class="trend"></div>` +
      `<h3>Per groep<span class="visually-hidden">: ${esc(ind.title)}</span></h3><div class="groups"></div>`;
    drawTrend(body.querySelector(".trend"), ind, figures);
    drawGroups(body.querySelector(".groups"), ind, figures);
  }

  function drawTrend(container, ind, figures) {
    const own = figures.filter((f) => f.group === state.group).sort((a, b) => a.year - b.year);
    if (own.filter((f) => f.value !== null).length < 2) {
      container.innerHTML = `<p class="muted">Te weinig jaren met een cijfer voor een lijn (${own.filter((f) => f.value !== null).map((f) => f.year).join(", ") || "geen"}).</p>`;
      return;
    }
    const years = own.map((f) => f.year);
    const series = [{ name: region.name, values: {} }];
    // Counts are not compared with larger regions: their lines would only show the size difference.
    const kinds = ind.kind === "count" ? [] : comparisons(region);
    kinds.forEach((k) => series.push(Object.assign(compareSeries(k), { values: {} })));
    own.forEach((f) => {
      series[0].values[f.year] = f.value;
      kinds.forEach((k, i) => { series[i + 1].values[f.year] = f[k] ? f[k].value : null; });
    });
    // Drop comparison lines without any value (e.g. no Nederland figure for buurt indicators).
    const shown = series.filter((s, i) => i === 0 || Object.values(s.values).some((v) => v !== null));
    const breaks = [];
    own.forEach((f) => (f.breaks || []).forEach((b) => breaks.push({ year: f.year, text: b.text })));
    WMCharts.trend(container, { title: `${ind.title} – ${groupTitle(catalog, state.group)}`, unit: ind.unit, decimals: ind.decimals || 0, years, series: shown, breaks });
    if (ind.kind === "count") container.insertAdjacentHTML("beforeend", '<p class="small muted">Aantallen worden niet met de gemeente of Nederland vergeleken: die zijn groter.</p>');
  }

  function drawGroups(container, ind, figures) {
    const thisYear = figures.filter((f) => String(f.year) === String(state.year) && f.group !== "totaal");
    const order = Object.keys(catalog.groups);
    const dimensions = [...new Set(thisYear.slice().sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group)).map((f) => catalog.groups[f.group].dimension))];
    if (!dimensions.length) {
      container.innerHTML = `<p class="muted">Geen cijfers per groep voor deze indicator in ${esc(state.year)}.</p>`;
      return;
    }
    const own = (catalog.groups[state.group] || {}).dimension;
    const selectId = `indeling-${figures[0].indicator}`;
    container.innerHTML = (dimensions.length > 1
      ? `<div class="controls"><label for="${selectId}">Indeling <select id="${selectId}">${dimensions.map((d) => `<option value="${esc(d)}">${esc(dimensionTitle(catalog, d))}</option>`).join("")}</select></label></div>`
      : `<p class="small">Indeling: ${esc(dimensionTitle(catalog, dimensions[0]))}</p>`) + '<div class="bars"></div>' + `<p class="group-note">${esc(GROUP_NOTE_TEXT)}</p>`;
    const draw = (dimension) => {
      const rows = thisYear.filter((f) => catalog.groups[f.group].dimension === dimension).sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group));
      const kinds = ind.kind === "count" ? [] : comparisons(region);
      const series = [{ name: region.name, values: {} }].concat(kinds.map((k) => Object.assign(compareSeries(k), { values: {} })));
      rows.forEach((f) => {
        series[0].values[f.group] = f.value;
        kinds.forEach((k, i) => { series[i + 1].values[f.group] = f[k] ? f[k].value : null; });
      });
      const shown = series.filter((s, i) => i === 0 || Object.values(s.values).some((v) => v !== null));
      const bars = container.querySelector(".bars");
      bars.innerHTML = "";
      WMCharts.groupBars(bars, {
        title: `${ind.title}, ${dimensionTitle(catalog, dimension).toLowerCase()}, ${state.year}`, unit: ind.unit, decimals: ind.decimals || 0,
        groups: rows.map((f) => ({ id: f.group, name: groupTitle(catalog, f.group) })), series: shown,
      });
    };
    const select = container.querySelector("select");
    const first = dimensions.includes(own) ? own : dimensions[0];
    if (select) {
      select.value = first;
      select.addEventListener("change", () => draw(select.value));
    }
    draw(first);
  }

  // ---- start -------------------------------------------------------------------------
  async function start() {
    [region, catalog] = await Promise.all([getJSON("/regions/" + encodeURIComponent(code)), getJSON("/catalog")]);
    document.title = `${region.name}: profiel – Wijkmonitor`;
    $("title").textContent = region.name;
    const parents = parentsText(region);
    $("subtitle").textContent = `${capitalise(LEVEL_TITLES[region.level] || region.level)} ${region.code}${parents ? " in " + parents : ""}`;
    $("attribution").textContent = region.attribution;
    $("group-note").textContent = GROUP_NOTE_TEXT;
    fillControls();
    $("group").addEventListener("change", () => { state.group = $("group").value; fillControls(); render(); });
    $("year").addEventListener("change", () => { state.year = $("year").value; render(); });
    render();
  }

  start().catch((error) => {
    showMessage("Het profiel kan niet worden getoond: " + error.message);
    document.body.dataset.ready = "error";
  });
})();
