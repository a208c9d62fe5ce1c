// Live calls board: polls the sessions API and redraws the table (no page reload).
"use strict";
(function () {
  const table = document.getElementById("live-board");
  const rows = document.getElementById("live-rows");
  const count = document.getElementById("live-count");
  const updated = document.getElementById("live-updated");
  const error = document.getElementById("live-error");
  const source = table.dataset.source;
  const interval = Number(table.dataset.interval) || 1000;
  let known = new Set();

  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    if (cls) td.className = cls;
    return td;
  }
  function party(p) {
    const ident = p.number || p.aor || p.participant_id;
    return p.name && ident ? p.name + " (" + ident + ")" : (p.name || ident || "?");
  }
  function clock(seconds) {
    if (!(seconds >= 0)) return "";
    const s = Math.floor(seconds), m = Math.floor(s / 60);
    return m + ":" + String(s % 60).padStart(2, "0");
  }
  function when(iso) { return iso ? iso.replace("T", " ").replace(/\.\d+/, "").replace("Z", "") : ""; }

  function render(items) {
    const now = Date.now();
    const seen = new Set();
    rows.replaceChildren();
    if (!items.length) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = cell("No call is being recorded.");
      td.colSpan = 7;
      tr.append(td);
      rows.append(tr);
    }
    for (const s of items) {
      const tr = document.createElement("tr");
      tr.dataset.sessionId = s.id;
      tr.dataset.callId = s.call_id || "";
      if (!known.has(s.id)) tr.className = "fresh";
      seen.add(s.id);
      const started = s.started_at ? Date.parse(s.started_at) : NaN;
      tr.append(
        cell(when(s.started_at)),
        cell(isNaN(started) ? "" : clock((now - started) / 1000)),
        cell((s.participants || []).map(party).join(" ↔ "), "participants"),
        cell(s.from_uri),
        cell(s.call_id, "mono"),
        cell(s.signaling_state || s.state),
        cell((s.streams || []).length),
      );
      rows.append(tr);
    }
    known = seen;
    count.textContent = "(" + items.length + ")";
    updated.textContent = new Date().toLocaleTimeString();
  }

  async function poll() {
    try {
      const response = await fetch(source, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error("HTTP " + response.status);
      const body = await response.json();
      render(body.items || []);
      error.hidden = true;
    } catch (exc) {
      error.textContent = "Cannot load live sessions: " + exc.message;
      error.hidden = false;
    } finally {
      setTimeout(poll, interval);
    }
  }
  poll();
})();
