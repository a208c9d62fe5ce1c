// Player: waveform click / DTMF marker seeks, a playhead follows the audio, share links,
// and the notes/tags/flag/call-centre form (PATCH of the recording).
"use strict";
(function () {
  const audio = document.getElementById("audio");
  const wave = document.getElementById("wave");
  const playhead = document.getElementById("playhead");
  const section = document.querySelector(".player");
  const fallback = Number(section && section.dataset.duration) || 0;

  function duration() {
    return isFinite(audio.duration) && audio.duration > 0 ? audio.duration : fallback;
  }
  function seek(seconds) {
    if (!(duration() > 0)) return;
    audio.currentTime = Math.max(0, Math.min(seconds, duration()));
    moveHead();
  }
  function moveHead() {
    const d = duration();
    playhead.style.left = d > 0 ? (100 * audio.currentTime / d) + "%" : "0";
  }
  if (audio && wave) {
    wave.addEventListener("click", function (event) {
      const marker = event.target.closest("[data-start]");
      if (marker) { seek(Number(marker.dataset.start)); return; }
      const box = wave.getBoundingClientRect();
      seek(duration() * (event.clientX - box.left) / box.width);
    });
    audio.addEventListener("timeupdate", moveHead);
    audio.addEventListener("seeked", moveHead);
    for (const button of document.querySelectorAll("button.seek[data-start]")) {
      button.addEventListener("click", function () { seek(Number(button.dataset.start)); audio.play(); });
    }
  }

  const share = document.getElementById("share");
  if (share) {
    share.addEventListener("submit", async function (event) {
      event.preventDefault();
      const ttl = Number(new FormData(share).get("expires_in"));
      const response = await fetch(share.dataset.endpoint, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-Requested-With": "srs-ui",
        },
        body: JSON.stringify({ expires_in: ttl }),
      });
      const body = await response.json();
      const out = document.getElementById("share-result");
      if (!response.ok) { out.hidden = false; out.textContent = body.detail || "failed"; return; }
      document.getElementById("share-embed").value = body.embed_url;
      document.getElementById("share-audio").value = body.audio_url;
      document.getElementById("share-iframe").value =
        '<iframe src="' + body.embed_url + '" width="640" height="240" frameborder="0"></iframe>';
      document.getElementById("share-expires").textContent = body.expires_at;
      out.hidden = false;
    });
  }

  const annotate = document.getElementById("annotate");
  if (annotate) {
    const out = document.getElementById("annotate-result");
    function text(value) { const t = String(value == null ? "" : value).trim(); return t === "" ? null : t; }
    function show(body) {
      const tags = document.getElementById("tags");
      tags.replaceChildren();
      for (const tag of body.tags || []) {
        const span = document.createElement("span");
        span.className = "tag";
        span.textContent = tag;
        tags.append(span, " ");
      }
      if (!(body.tags || []).length) {
        const none = document.createElement("span");
        none.className = "muted";
        none.textContent = "No tags.";
        tags.append(none);
      }
      const notes = document.getElementById("notes");
      notes.textContent = body.notes || "";
      document.getElementById("flag-value").textContent = body.flag ? String(body.flag) : "–";
      document.getElementById("agent-value").textContent = body.agent_name && body.agent_id
        ? body.agent_name + " (" + body.agent_id + ")" : (body.agent_name || body.agent_id || "");
      document.getElementById("client-value").textContent = body.client_id || "";
      document.getElementById("campaign-value").textContent = body.campaign_id || "";
      annotate.elements.namedItem("tags").value = (body.tags || []).join(", ");
      annotate.elements.namedItem("flag").value = String(body.flag || 0);
    }
    annotate.addEventListener("submit", async function (event) {
      event.preventDefault();
      const data = new FormData(annotate);
      const flag = Number(data.get("flag") || 0);
      const body = {
        notes: text(data.get("notes")),
        tags: String(data.get("tags") || "").split(",").map(function (t) { return t.trim(); }).filter(Boolean),
        flag: Number.isInteger(flag) ? flag : -1,
        agent_id: text(data.get("agent_id")),
        agent_name: text(data.get("agent_name")),
        client_id: text(data.get("client_id")),
        campaign_id: text(data.get("campaign_id")),
      };
      out.className = "";
      out.textContent = "Saving…";
      try {
        const response = await fetch(annotate.dataset.endpoint, {
          method: "PATCH",
          credentials: "same-origin",
          headers: {
            "Content-Type": "application/json",
            Accept: "application/json",
            "X-Requested-With": "srs-ui",
          },
          body: JSON.stringify(body),
        });
        const answer = await response.json().catch(function () { return {}; });
        if (!response.ok) throw new Error(answer.detail || "HTTP " + response.status);
        show(answer);
        out.textContent = "Saved.";
      } catch (exc) {
        out.className = "error";
        out.textContent = "Not saved: " + exc.message;
      }
    });
  }
})();
