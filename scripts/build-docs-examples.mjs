// Renders the code examples of examples/ into two static docs pages (one
// source: the pages are generated from the files, never edited by hand):
//   www/docs/examples/quickstart.html  the three quick-start steps, per language
//   www/docs/examples/webhooks.html    webhook verification, per language
// www/docs/examples/ is git-ignored; scripts/build-worker.sh runs this.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const languages = [
  ["curl", "curl/quickstart.sh", "curl/verify-webhook.sh"],
  ["JavaScript (Node 20)", "node/quickstart.mjs", "node/verify-webhook.mjs"],
  ["Python", "python/quickstart.py", "python/verify_webhook.py"],
  ["PHP", "php/quickstart.php", "php/verify-webhook.php"],
  ["Go", "go/quickstart/main.go", "go/verifywebhook/main.go"],
  ["Rust", "rust/src/bin/quickstart.rs", "rust/src/bin/verify_webhook.rs"],
];
const escape = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const slug = (name) => name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/-$/, "");

function page(title, guide, intro, column) {
  const sections = languages.map((lang) => {
    const file = lang[column];
    const code = readFileSync(join(root, "examples", file), "utf8");
    return `<h2 id="${slug(lang[0])}">${escape(lang[0])}</h2>\n<p><code>examples/${file}</code></p>\n<pre><code>${escape(code)}</code></pre>`;
  });
  const toc = languages.map((l) => `<a href="#${slug(l[0])}">${escape(l[0])}</a>`).join(" · ");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · MID docs</title>
<link rel="stylesheet" href="/style.css">
<link rel="stylesheet" href="/docs/docs.css">
</head>
<body class="docs">
<header><a class="brand" href="/docs/">MID docs</a> <a href="/console">Sandbox console</a> <a href="/openapi.json">openapi.json</a></header>
<main>
<p><a href="${guide}">← back to the guide</a></p>
<h1>${escape(title)}</h1>
${intro}
<p>${toc}</p>
${sections.join("\n")}
</main>
</body>
</html>
`;
}

const out = join(root, "www/docs/examples");
mkdirSync(out, { recursive: true });
const env = `<pre><code>export MID_URL=http://127.0.0.1:8787
export MID_CLIENT_ID=mid_client_…   # "client id" printed by npm start
export MID_KEY=mid_sk_test_…        # "test API key" printed by npm start</code></pre>`;
writeFileSync(
  join(out, "quickstart.html"),
  page(
    "Quick start examples",
    "/docs/quickstart",
    `<p>Each program creates a consent, prints its approval (QR) link and status, approves it through the sandbox and prints <code>final status: approved</code>. They read:</p>\n${env}\n<p>The same files are in the repository under <code>examples/</code>; <code>npm test</code> runs the curl, Node and Python ones against a real MID.</p>`,
    1,
  ),
);
writeFileSync(
  join(out, "webhooks.html"),
  page(
    "Webhook verification examples",
    "/docs/webhooks",
    `<p>Each program checks both signatures of a delivery (the Standard Webhooks <code>webhook-signature</code> header and the body's <code>signature</code> member) and the 5-minute timestamp window. Run as <code>MID_WEBHOOK_SECRET=whsec_… PROGRAM HEADERS_FILE BODY_FILE</code>; it prints <code>valid</code> or <code>invalid</code>. In your server call its <code>verify</code> function with the request's headers and <em>raw</em> body.</p>\n<p>The same files are in the repository under <code>examples/</code>; <code>npm test</code> feeds the curl, Node and Python ones real and tampered deliveries.</p>`,
    2,
  ),
);
