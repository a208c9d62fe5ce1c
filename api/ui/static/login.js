// Login form: POST the credentials to the API, which sets the session cookie.
"use strict";
(function () {
  const form = document.getElementById("login");
  const error = document.getElementById("login-error");
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const data = new FormData(form);
    error.hidden = true;
    try {
      const response = await fetch(form.dataset.endpoint, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ username: data.get("username"), password: data.get("password") }),
      });
      if (!response.ok) {
        const body = await response.json().catch(function () { return {}; });
        throw new Error(body.detail || "HTTP " + response.status);
      }
      window.location.assign(form.dataset.next || "/ui/");
    } catch (exc) {
      error.textContent = exc.message;
      error.hidden = false;
    }
  });
})();
