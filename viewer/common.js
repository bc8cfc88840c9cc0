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

  window.WM = { LEVEL_TITLES, LEVEL_PLURALS, SHORT_STATUS, fmt, withUnit, signed, esc, getJSON, figureCell };
})();
