// Live calls board: follows the server-sent event feed of the sessions API and redraws
// the rows that changed (no page reload).  If the feed fails, it polls the sessions list
// instead and tries the feed again later.  Capture counters are not feed events (the feed
// only reports snapshot changes), so they are refreshed from the list every few seconds.
// Supervisors and up get pause/resume, mute/unmute and discard buttons on each row.
"use strict";
(function () {
  const table = document.getElementById("live-board");
  const rows = document.getElementById("live-rows");
  const count = document.getElementById("live-count");
  const updated = document.getElementById("live-updated");
  const error = document.getElementById("live-error");
  const mode = document.getElementById("live-mode");
  const listUrl = table.dataset.source;
  const eventsUrl = table.dataset.events;
  const controlBase = table.dataset.control;
  const interval = Number(table.dataset.interval) || 1000;
  const countersEvery = Number(table.dataset.counters) || 3000;
  const endedLinger = Number(table.dataset.linger) || 4000;
  const canControl = table.dataset.canControl === "true";
  const RETRY_FEED_MS = 15000;

  const sessions = new Map(); // id -> session body (SessionOut)
  const ended = new Map(); // id -> time the call ended (kept on the board a moment)
  const results = new Map(); // id -> {ok, text} of the last control request
  let feed = null;
  let pollTimer = null;
  let countersTimer = null;

  function setMode(name) {
    table.dataset.mode = name;
    if (mode) mode.textContent = name === "sse" ? "live feed" : "polling every " + interval / 1000 + " s";
  }
  function showError(text) {
    error.textContent = text || "";
    error.hidden = !text;
  }
  function touched() { updated.textContent = new Date().toLocaleTimeString(); }

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text != null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function badge(text, cls) { return el("span", text, "badge " + cls); }
  function party(p) {
    const ident = p.number || p.aor || p.participant_id;
    return p.name && ident ? p.name + " (" + ident + ")" : (p.name || ident || "?");
  }
  function clock(seconds) {
    if (!(seconds >= 0)) return "";
    const s = Math.floor(seconds), m = Math.floor(s / 60);
    return m + ":" + String(s % 60).padStart(2, "0");
  }
  function when(iso) { return iso ? iso.replace("T", " ").replace(/\.\d+/, "").replace(/(Z|[+-]00:00)$/, "") : ""; }

  // --- control requests -----------------------------------------------------------
  async function control(id, path, body, label) {
    results.set(id, { ok: true, text: label + "…" });
    draw();
    try {
      const response = await fetch(controlBase + encodeURIComponent(id) + path, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "Content-Type": "application/json",
          "X-Requested-With": "srs-ui",
        },
        body: body == null ? null : JSON.stringify(body),
      });
      const out = await response.json().catch(function () { return {}; });
      if (!response.ok) throw new Error(out.detail || "HTTP " + response.status);
      applyControl(id, out);
      results.set(id, { ok: true, text: label + ": done" });
    } catch (exc) {
      results.set(id, { ok: false, text: label + " failed: " + exc.message });
    }
    draw();
  }
  function applyControl(id, state) {
    const s = sessions.get(id);
    if (!s) return;
    s.paused = Boolean(state.paused);
    s.muted = state.muted || [];
    s.keep = state.keep !== false;
    for (const st of s.streams || []) {
      if (st.participant_id != null) st.muted = s.muted.includes(st.participant_id);
    }
  }
  function button(text, cls, onClick) {
    const b = el("button", text, cls);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  // --- rendering ------------------------------------------------------------------
  function participantsCell(s, live) {
    const td = el("td", null, "participants");
    const list = el("ul", null, "people");
    for (const p of s.participants || []) {
      const li = el("li");
      li.dataset.participantId = p.participant_id;
      li.append(el("span", party(p), "who"));
      const muted = (s.muted || []).includes(p.participant_id);
      if (muted) li.append(" ", badge("muted", "muted"));
      if (canControl && live) {
        li.append(" ", muted
          ? button("Unmute", "ctl unmute", function () { control(s.id, "/participants/" + encodeURIComponent(p.participant_id) + "/unmute", null, "Unmute " + party(p)); })
          : button("Mute", "ctl mute", function () { control(s.id, "/participants/" + encodeURIComponent(p.participant_id) + "/mute", null, "Mute " + party(p)); }));
      }
      list.append(li);
    }
    td.append(list);
    return td;
  }
  function streamsCell(s) {
    const td = el("td", null, "streams");
    const list = el("ul", null, "streams-list");
    for (const st of s.streams || []) {
      const li = el("li");
      li.dataset.streamKey = st.key;
      const packets = packetsOf(s, st);
      li.append(el("span", "#" + (st.label || st.key), "label"), " ", el("span", st.codec || "?", "codec"),
        " ", el("span", packets + " pkts", "packets"));
      if (st.held) li.append(" ", badge("held", "held"));
      if (st.muted) li.append(" ", badge("muted", "muted"));
      list.append(li);
    }
    td.append(list);
    return td;
  }
  function packetsOf(s, st) {
    if (st.packets != null) return st.packets;
    const stats = (s.capture || {})[st.key] || {};
    return stats.packets != null ? stats.packets : 0;
  }
  function stateCell(s, live) {
    const td = el("td", null, "state");
    td.append(el("span", live ? (s.signaling_state || s.state) : "ended", "signaling"));
    if (live && s.held) td.append(" ", badge("held", "held"));
    if (live && s.paused) td.append(" ", badge("paused", "paused"));
    if (live && s.muted && s.muted.length) td.append(" ", badge(s.muted.length + " muted", "muted"));
    if (s.keep === false) td.append(" ", badge("discard", "discard"));
    return td;
  }
  function controlCell(s, live) {
    const td = el("td", null, "controls");
    if (canControl && live) {
      td.append(s.paused
        ? button("Resume", "ctl resume", function () { control(s.id, "/resume", null, "Resume"); })
        : button("Pause", "ctl pause", function () { control(s.id, "/pause", null, "Pause"); }));
      td.append(" ", s.keep === false
        ? button("Keep", "ctl keep", function () { control(s.id, "/keep", { keep: true }, "Keep"); })
        : button("Discard", "ctl discard", function () {
          if (window.confirm("Stop keeping this call? Its recording is discarded when the call ends.")) {
            control(s.id, "/keep", { keep: false }, "Discard");
          }
        }));
    }
    const result = results.get(s.id);
    if (result) td.append(el("div", result.text, "result" + (result.ok ? "" : " error")));
    return td;
  }
  function row(s, now) {
    const live = !ended.has(s.id);
    const tr = el("tr");
    tr.dataset.sessionId = s.id;
    tr.dataset.callId = s.call_id || "";
    tr.dataset.state = live ? "live" : "ended";
    tr.dataset.paused = String(Boolean(s.paused));
    tr.dataset.keep = String(s.keep !== false);
    if (!live) tr.classList.add("ended");
    tr.append(
      el("td", when(s.started_at)),
      el("td", elapsed(s, now), "duration"),
      participantsCell(s, live),
      el("td", s.call_id, "mono"),
      streamsCell(s),
      stateCell(s, live),
      controlCell(s, live),
    );
    return tr;
  }
  function elapsed(s, now) {
    const started = s.started_at ? Date.parse(s.started_at) : NaN;
    const stop = ended.has(s.id) ? ended.get(s.id) : now;
    return isNaN(started) ? "" : clock((stop - started) / 1000);
  }
  // What a row shows apart from the ticking duration and packet counters.
  function shape(s) {
    const copy = Object.assign({}, s, { capture: null });
    copy.streams = (s.streams || []).map(function (st) { return Object.assign({}, st, { packets: null, bytes: null }); });
    return copy;
  }
  // Rows are rebuilt only when what they show changed (a click on a button must not
  // land on a node replaced under the pointer); the duration ticks in place.
  const drawn = new Map(); // id -> {tr, sig}
  let emptyRow = null;
  function draw() {
    const now = Date.now();
    for (const [id, at] of ended) {
      if (now - at > endedLinger) { ended.delete(id); sessions.delete(id); results.delete(id); }
    }
    const items = Array.from(sessions.values()).sort(function (a, b) {
      return String(b.started_at || "").localeCompare(String(a.started_at || ""));
    });
    for (const [id, entry] of drawn) {
      if (!sessions.has(id)) { entry.tr.remove(); drawn.delete(id); }
    }
    if (!items.length) {
      if (!emptyRow) {
        rows.replaceChildren();
        emptyRow = el("tr", null, "empty");
        const td = el("td", "No call is being recorded.");
        td.colSpan = 7;
        emptyRow.append(td);
        rows.append(emptyRow);
      }
    } else if (emptyRow || rows.querySelector("tr.empty")) {
      rows.replaceChildren();
      emptyRow = null;
    }
    let previous = null;
    for (const s of items) {
      const sig = JSON.stringify([shape(s), ended.has(s.id), results.get(s.id) || null]);
      let entry = drawn.get(s.id);
      if (!entry || entry.sig !== sig) {
        const tr = row(s, now);
        if (!entry) tr.classList.add("fresh");
        if (entry) entry.tr.replaceWith(tr);
        entry = { tr: tr, sig: sig };
        drawn.set(s.id, entry);
      } else {
        entry.tr.querySelector("td.duration").textContent = elapsed(s, now);
        for (const li of entry.tr.querySelectorAll("td.streams li[data-stream-key]")) {
          const st = (s.streams || []).find(function (x) { return x.key === li.dataset.streamKey; });
          if (st) li.querySelector(".packets").textContent = packetsOf(s, st) + " pkts";
        }
      }
      const want = previous ? previous.nextSibling : rows.firstChild;
      if (want !== entry.tr) rows.insertBefore(entry.tr, want);
      previous = entry.tr;
    }
    count.textContent = "(" + (items.length - ended.size) + ")";
  }

  // --- data sources ---------------------------------------------------------------
  function upsert(body) {
    sessions.set(body.id, body);
    ended.delete(body.id);
  }
  function end(id) {
    if (sessions.has(id) && !ended.has(id)) ended.set(id, Date.now());
  }
  function replaceAll(items) {
    const seen = new Set();
    for (const s of items) { seen.add(s.id); upsert(s); }
    for (const id of sessions.keys()) if (!seen.has(id)) end(id);
  }
  async function fetchList() {
    const response = await fetch(listUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    return (await response.json()).items || [];
  }

  async function poll() {
    pollTimer = null;
    try {
      replaceAll(await fetchList());
      showError("");
      touched();
    } catch (exc) {
      showError("Cannot load live sessions: " + exc.message);
    }
    draw();
    if (!feed) pollTimer = setTimeout(poll, interval);
  }

  async function refreshCounters() {
    countersTimer = null;
    if (feed && sessions.size > ended.size) {
      try {
        for (const fresh of await fetchList()) {
          const s = sessions.get(fresh.id);
          if (!s || ended.has(s.id)) continue;
          s.capture = fresh.capture;
          const byKey = new Map((fresh.streams || []).map(function (x) { return [x.key, x]; }));
          for (const st of s.streams || []) {
            const f = byKey.get(st.key);
            if (f) st.packets = f.packets;
          }
        }
        draw();
        touched();
      } catch (exc) { /* the feed reports real trouble */ }
    }
    if (feed) countersTimer = setTimeout(refreshCounters, countersEvery);
  }

  function startFeed() {
    if (typeof EventSource === "undefined" || !eventsUrl) { fallBack("no EventSource"); return; }
    if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
    const source = new EventSource(eventsUrl, { withCredentials: true });
    feed = source;
    let opened = false;
    const seenAtConnect = new Set();
    source.addEventListener("open", function () {
      opened = true;
      seenAtConnect.clear(); // (re)connected: the feed lists every live session again
      setMode("sse");
      showError("");
      touched();
      draw();
      // sessions that ended while the feed was down get no session.ended: drop them
      // once the feed's "session.active" burst has been received.
      setTimeout(function () {
        for (const id of sessions.keys()) if (!seenAtConnect.has(id)) end(id);
        draw();
      }, 1500);
    });
    function on(name, handler) {
      source.addEventListener(name, function (event) {
        let body;
        try { body = JSON.parse(event.data); } catch (exc) { return; }
        handler(body);
        touched();
        draw();
      });
    }
    on("session.active", function (body) { seenAtConnect.add(body.id); upsert(body); });
    on("session.started", function (body) { seenAtConnect.add(body.id); upsert(body); });
    on("session.updated", function (body) { seenAtConnect.add(body.id); upsert(body); });
    on("session.ended", function (body) { end(body.id); });
    on("control", function (body) { applyControl(body.recording_id, body); });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED || !opened) {
        fallBack("live feed unavailable");
      }
      // otherwise the browser reconnects by itself
    });
    if (!countersTimer) countersTimer = setTimeout(refreshCounters, countersEvery);
  }

  function fallBack(reason) {
    if (feed) { feed.close(); feed = null; }
    if (countersTimer) { clearTimeout(countersTimer); countersTimer = null; }
    setMode("polling");
    table.dataset.fallbackReason = reason;
    if (!pollTimer) poll();
    setTimeout(startFeed, RETRY_FEED_MS);
  }

  setInterval(function () { if (sessions.size) draw(); }, 1000); // durations, ended rows
  draw();
  startFeed();
})();
