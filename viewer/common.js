/* What every wijkmonitor page shares (viewer, profile, comparison, report): Dutch number
 * formatting, escaping, fetching JSON with the server's error text, and how a figure without a
 * value is shown. Exposed as window.WM; each page is one plain script (no build step). */
(function () {
  "use strict";

  const LEVEL_TITLES = { land: "land", gemeente: "gemeente", wijk: "wijk", buurt: "buurt" };
  const LEVEL_PLURALS = { land: "landen", gemeente: "gemeenten", wijk: "wijken", buurt: "buurten" };
  // A short word for why a figure has no value; the server's full reason goes in its tooltip.
  const SHORT_STATUS = {
    withheld: "niet gepubliceerd", protected: "niet gepubliceerd", secret: "geheim (CBS)",
    missing: "geen gegevens", later: "volgt later", discontinued: "vervallen",
  };

  function fmt(value, decimals) {
    return new Intl.NumberFormat("nl-NL", { minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(value);
  }

  function withUnit(text, unit) {
    return unit ? text + " " + unit : text;
  }

  function signed(value, decimals) {
    return (value > 0 ? "+" : value < 0 ? "−" : "±") + fmt(Math.abs(value), decimals);
  }

  function esc(text) {
    return String(text === null || text === undefined ? "" : text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  async function getJSON(url) {
    const response = await fetch(url);
    const body = await response.json();
    if (!response.ok) {
      const error = new Error(body.detail || response.statusText);
      error.parameter = body.parameter;
      throw error;
    }
    return body;
  }

  // A figure as a table cell: its value with unit, or a short word for why it has none, with the
  // server's full reason (which names what the denominator counts) as its tooltip.
  function figureCell(f, decimals, unit, statuses) {
    if (f.value !== null && f.value !== undefined) return `<td class="num">${esc(withUnit(fmt(f.value, decimals), unit))}</td>`;
    const why = f.note || f.status_text || (statuses || {})[f.status] || f.status;
    return `<td class="num status-reason"><abbr title="${esc(why)}">${esc(SHORT_STATUS[f.status] || why)}</abbr></td>`;
  }

  // Beside every figure of a group: a difference between groups is not a difference the group makes.
  const GROUP_NOTE_TEXT = "Verschillen tussen groepen weerspiegelen ook hun samenstelling " +
    "(leeftijd, inkomen, opleiding) en vragen om interpretatie: vergelijk een groep met dezelfde groep elders.";

  // A region search box as an ARIA combobox (WAI-ARIA 1.2 pattern with a listbox popup): type to
  // search /regions?q=, arrow keys move through the results, Enter picks, Escape closes; a polite
  // live region says how many were found. `describe(region)` gives the text of a result;
  // `onPick(region)` receives the chosen one. Extra query parameters (level, within) via `params()`.
  function regionSearch({ input, list, status, onPick, describe, params }) {
    let results = [];
    let active = -1;
    let timer = null;
    let asked = 0;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off");
    list.setAttribute("role", "listbox");

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function mark(index) {
      active = index;
      Array.from(list.children).forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
      if (index < 0) { input.removeAttribute("aria-activedescendant"); return; }
      const li = list.children[index];
      input.setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({ block: "nearest" });
    }

    function pick(index) {
      const region = results[index];
      if (!region) return;
      close();
      input.value = "";
      status.textContent = "";
      onPick(region);
    }

    async function search() {
      const q = input.value.trim();
      if (q.length < 2) { results = []; list.innerHTML = ""; close(); status.textContent = ""; return; }
      const ticket = ++asked;  // answers that arrive after a newer question are dropped
      const query = new URLSearchParams(Object.assign({ q: q, limit: "20" }, params ? params() : {}));
      let body;
      try {
        body = await getJSON("/regions?" + query.toString());
      } catch (error) {
        status.textContent = "Zoeken lukte niet: " + error.message;
        return;
      }
      if (ticket !== asked) return;
      results = body.regions;
      list.innerHTML = results.map((r, i) => `<li role="option" id="${esc(list.id)}-${i}" data-code="${esc(r.code)}" aria-selected="false">${esc(describe(r))}</li>`).join("");
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", String(results.length > 0));
      active = -1;
      const more = body.total > results.length ? ` (eerste ${results.length} van ${body.total})` : "";
      status.textContent = results.length ? `${results.length} gebieden gevonden${more}; kies met pijltjes en Enter.` : "Geen gebieden gevonden.";
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, 200);  // one request per pause in typing, not per key
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!results.length) return;
        event.preventDefault();
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        const step = event.key === "ArrowDown" ? 1 : -1;
        mark((active + step + results.length) % results.length);
      } else if (event.key === "Enter") {
        if (!list.hidden && results.length) {
          event.preventDefault();
          pick(active < 0 ? 0 : active);
        }
      } else if (event.key === "Escape") {
        close();
      }
    });
    // mousedown, not click: the input's blur would close the list before the click lands.
    list.addEventListener("mousedown", (event) => {
      const li = event.target.closest("li[role=option]");
      if (!li) return;
      event.preventDefault();
      pick(Array.from(list.children).indexOf(li));
    });
    input.addEventListener("blur", close);
    list.hidden = true;
  }

  function capitalise(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  // A page's one message box (#message): an error in words, or hidden when `text` is empty.
  function showMessage(text) {
    const box = document.getElementById("message");
    box.textContent = text;
    box.hidden = !text;
  }

  // Fill a select with [value, label] items; keep `selected` when offered, else the first. Returns the value.
  function options(select, items, selected) {
    select.innerHTML = "";
    items.forEach(([value, label]) => {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = label;
      select.appendChild(option);
    });
    const values = items.map((i) => String(i[0]));
    select.value = values.includes(String(selected)) ? String(selected) : (values[0] || "");
    return select.value;
  }

  // A view's CSV link, and beside it (id + "-nl") the same table for a spreadsheet set to Dutch
  // (semicolons, decimal comma), which opens the plain CSV in one column.
  function setCsv(link, url) {
    link.href = url;
    const dutch = document.getElementById(link.id + "-nl");
    if (dutch) {
      dutch.href = url + (url.includes("?") ? "&" : "?") + "dialect=excel-nl";
      dutch.hidden = link.hidden;
    }
  }

  window.WM = {
    LEVEL_TITLES, LEVEL_PLURALS, SHORT_STATUS, GROUP_NOTE_TEXT,
    fmt, withUnit, signed, esc, getJSON, figureCell, regionSearch, setCsv, capitalise, showMessage, options,
  };
})();
