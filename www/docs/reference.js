// Renders the API reference from /openapi.json, the one source of the contract.
// Hand-written rather than a vendored bundle: Redoc and Scalar inject <style>
// elements, which the strict CSP (style-src 'self') refuses. Text only goes in
// through textContent, never innerHTML.
"use strict";

(function () {
  var root = document.getElementById("reference");
  var METHODS = ["get", "post", "put", "delete"];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // Inline `code` spans of the document's Markdown-ish descriptions.
  function prose(tag, text) {
    var e = el(tag, "prose");
    String(text || "").split("`").forEach(function (part, i) {
      e.appendChild(i % 2 ? el("code", null, part) : document.createTextNode(part));
    });
    return e;
  }

  function deref(doc, node) {
    var seen = 0;
    while (node && node.$ref && seen++ < 10) {
      node = node.$ref.replace(/^#\//, "").split("/").reduce(function (o, k) {
        return o && o[k.replace(/~1/g, "/").replace(/~0/g, "~")];
      }, doc);
    }
    return node || {};
  }

  function refName(node) {
    return node && node.$ref ? node.$ref.split("/").pop() : null;
  }

  function typeOf(doc, s) {
    if (!s) return "any";
    var name = refName(s);
    if (name) return name;
    if (s.const !== undefined) return JSON.stringify(s.const);
    if (s.enum) return s.enum.map(function (v) { return JSON.stringify(v); }).join(" | ");
    if (s.oneOf) return s.oneOf.map(function (x) { return typeOf(doc, x); }).join(" | ");
    if (s.allOf) return s.allOf.map(function (x) { return typeOf(doc, x); }).join(" & ");
    var t = Array.isArray(s.type) ? s.type.join(" | ") : s.type || "object";
    if (s.type === "array") t = typeOf(doc, s.items) + "[]";
    if (s.format) t += " (" + s.format + ")";
    return t;
  }

  // A schema as a table of its members (one level; named schemas link to theirs).
  function schemaTable(doc, s, isRequest) {
    s = s && s.$ref ? deref(doc, s) : s || {};
    var wrap = el("div", "schema");
    if (s.oneOf) {
      wrap.appendChild(el("p", null, "One of:"));
      s.oneOf.forEach(function (alt) { wrap.appendChild(schemaTable(doc, alt, isRequest)); });
      return wrap;
    }
    if (!s.properties) {
      wrap.appendChild(el("code", null, typeOf(doc, s)));
      return wrap;
    }
    var table = el("table");
    var head = el("tr");
    ["field", "type", "", "description"].forEach(function (h) { head.appendChild(el("th", null, h)); });
    table.appendChild(head);
    var required = s.required || [];
    Object.keys(s.properties).forEach(function (name) {
      var p = s.properties[name];
      var row = el("tr");
      row.appendChild(el("td")).appendChild(el("code", null, name));
      var type = el("td");
      var rn = refName(p);
      if (rn) {
        var a = el("a", null, rn);
        a.href = "#schema-" + rn;
        type.appendChild(a);
      } else {
        type.appendChild(el("code", null, typeOf(doc, p)));
      }
      row.appendChild(type);
      row.appendChild(el("td", "req", required.indexOf(name) >= 0 ? "required" : "optional"));
      row.appendChild(prose("td", (p.description || (rn && deref(doc, p).description) || "")));
      table.appendChild(row);
    });
    wrap.appendChild(table);
    if (isRequest && s.additionalProperties === false) wrap.appendChild(el("p", "note", "No other members (unknown members are refused with 400)."));
    return wrap;
  }

  function securityText(doc, sec) {
    if (!sec || !sec.length) return "none";
    return sec.map(function (req) {
      var names = Object.keys(req);
      return names.length ? names.join(" + ") : "none";
    }).join(" or ");
  }

  function operation(doc, path, method, op) {
    var sec = el("section", "op");
    sec.id = op.operationId;
    var h = el("h3");
    h.appendChild(el("span", "method " + method, method.toUpperCase()));
    h.appendChild(el("code", "path", " " + path));
    sec.appendChild(h);
    sec.appendChild(el("p", "summary", op.summary));
    if (op.description) sec.appendChild(prose("p", op.description));
    sec.appendChild(el("p", "auth", "Authentication: " + securityText(doc, op.security)));
    if (op.parameters && op.parameters.length) {
      sec.appendChild(el("h4", null, "Parameters"));
      var ul = el("ul");
      op.parameters.forEach(function (p) {
        p = deref(doc, p);
        var li = el("li");
        li.appendChild(el("code", null, p.name));
        li.appendChild(document.createTextNode(" (" + p.in + (p.required ? ", required" : "") + ") " + typeOf(doc, p.schema) + " "));
        li.appendChild(prose("span", p.description || ""));
        ul.appendChild(li);
      });
      sec.appendChild(ul);
    }
    if (op.requestBody) {
      sec.appendChild(el("h4", null, "Request body (application/json)"));
      var rb = op.requestBody.content["application/json"];
      sec.appendChild(schemaTable(doc, rb && rb.schema, true));
    }
    sec.appendChild(el("h4", null, "Responses"));
    var dl = el("dl", "responses");
    Object.keys(op.responses).forEach(function (status) {
      var r = deref(doc, op.responses[status]);
      dl.appendChild(el("dt", "status s" + status.charAt(0), status));
      var dd = el("dd");
      dd.appendChild(prose("p", r.description));
      var media = r.content && Object.keys(r.content);
      if (media && media.length) {
        var json = r.content["application/json"];
        if (json && status.charAt(0) === "2") dd.appendChild(schemaTable(doc, json.schema));
        else if (json) dd.appendChild(el("p", "note", "Body: Error"));
        else dd.appendChild(el("p", "note", "Body: " + media.join(", ")));
      }
      dl.appendChild(dd);
    });
    sec.appendChild(dl);
    return sec;
  }

  function render(doc) {
    root.textContent = "";
    var toc = el("nav", "toc");
    var byTag = {};
    Object.keys(doc.paths).forEach(function (path) {
      METHODS.forEach(function (m) {
        var op = doc.paths[path][m];
        if (!op) return;
        var tag = (op.tags || ["Other"])[0];
        (byTag[tag] = byTag[tag] || []).push(operation(doc, path, m, op));
      });
    });
    (doc.tags || []).forEach(function (t) {
      if (!byTag[t.name]) return;
      var sec = el("section", "tag");
      sec.id = "tag-" + t.name;
      sec.appendChild(el("h2", null, t.name));
      sec.appendChild(prose("p", t.description));
      byTag[t.name].forEach(function (o) { sec.appendChild(o); });
      root.appendChild(sec);
      var a = el("a", null, t.name);
      a.href = "#tag-" + t.name;
      toc.appendChild(a);
    });
    var hooks = el("section", "tag");
    hooks.id = "webhooks";
    hooks.appendChild(el("h2", null, "Outgoing webhooks"));
    Object.keys(doc.webhooks || {}).forEach(function (name) {
      hooks.appendChild(operation(doc, name, "post", doc.webhooks[name].post));
    });
    root.appendChild(hooks);
    var schemas = el("section", "tag");
    schemas.id = "schemas";
    schemas.appendChild(el("h2", null, "Schemas"));
    Object.keys(doc.components.schemas).forEach(function (name) {
      var s = el("section", "schema-def");
      s.id = "schema-" + name;
      s.appendChild(el("h3", null, name));
      if (doc.components.schemas[name].description) s.appendChild(prose("p", doc.components.schemas[name].description));
      s.appendChild(schemaTable(doc, doc.components.schemas[name]));
      schemas.appendChild(s);
    });
    root.appendChild(schemas);
    ["webhooks", "schemas"].forEach(function (id) {
      var a = el("a", null, id === "webhooks" ? "Webhooks (outgoing)" : "Schemas");
      a.href = "#" + id;
      toc.appendChild(a);
    });
    root.parentNode.insertBefore(toc, root);
    root.setAttribute("data-operations", String(root.querySelectorAll("section.op").length));
    if (location.hash) {
      var target = document.getElementById(location.hash.slice(1));
      if (target) target.scrollIntoView();
    }
  }

  fetch("/openapi.json")
    .then(function (r) { return r.json(); })
    .then(render)
    .catch(function (e) { root.textContent = "Could not load /openapi.json: " + e; });
})();
