/* Keeps what the officer typed in this browser until the server has it: a failed save, a lost
   connection or a closed tab never loses text. Cleared when the page reloads after a save. */
(function () {
  var script = document.currentScript;
  var form = document.getElementById("item-form");
  if (!form || !window.localStorage) return;
  var key = "xinbao-draft-" + form.dataset.draftKey;
  var fields = ["id_title", "id_body"].map(function (id) { return document.getElementById(id); });
  var hasErrors = !!document.querySelector(".errorlist");
  var saved = localStorage.getItem(key);
  if (saved && !hasErrors) {
    try {
      var data = JSON.parse(saved);
      var differs = fields.some(function (f) { return f && data[f.id] && data[f.id] !== f.value; });
      if (differs && window.confirm(script.dataset.restoreMessage)) {
        fields.forEach(function (f) { if (f && data[f.id]) f.value = data[f.id]; });
      } else { localStorage.removeItem(key); }
    } catch (e) { localStorage.removeItem(key); }
  }
  form.addEventListener("input", function () {
    var data = {};
    fields.forEach(function (f) { if (f) data[f.id] = f.value; });
    localStorage.setItem(key, JSON.stringify(data));
  });
  document.body.addEventListener("htmx:afterRequest", function (ev) {
    if (ev.detail.successful && !ev.detail.target.querySelector(".error")) localStorage.removeItem(key);
  });
  form.addEventListener("submit", function () { sessionStorage.setItem("xinbao-submitted", key); });
  var submitted = sessionStorage.getItem("xinbao-submitted");
  if (submitted && !hasErrors) { localStorage.removeItem(submitted); sessionStorage.removeItem("xinbao-submitted"); }
})();
