// Player: waveform click / DTMF marker seeks, a playhead follows the audio, share links.
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
})();
