// Navigation bar: the log-out button (the API wants X-Requested-With with a cookie).
"use strict";
(function () {
  const button = document.getElementById("logout");
  if (!button) return;
  button.addEventListener("click", async function () {
    await fetch("/api/v1/auth/logout", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-Requested-With": "srs-ui" },
    });
    window.location.assign("/login");
  });
})();
