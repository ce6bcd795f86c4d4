/** The status page's HTML shell: the hashed stylesheet and script; the script draws everything. */
import type { WebBundle } from "../../web/bundle.js"

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

export const indexHtml = (bundle: WebBundle, chain: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Silvana coordinator · ${escape(chain)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${escape(bundle.stylesheet)}">
<script src="${escape(bundle.script)}" defer></script>
</head>
<body>
<noscript>This page needs JavaScript: it is drawn from the daemon's live event stream.</noscript>
<div id="app"></div>
</body>
</html>
`
