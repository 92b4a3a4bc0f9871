// Shows www/api.md, the one source of the API reference.
fetch("/api.md").then(function (r) { return r.text(); }).then(function (t) {
  document.getElementById("doc").textContent = t;
});
