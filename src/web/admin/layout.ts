// The console's page frame: wider than the public pages (tables and charts), a navigation bar,
// the logout button. No external asset, no JavaScript.
import { html, raw, type SafeHtml } from '../html.js';

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f2a24;background:#f3f1ea}
header{background:#1d4a2a;color:#fff}
header .in{max-width:74rem;margin:0 auto;padding:.7rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center}
header a{color:#fff;text-decoration:none}
header .brand{font-weight:700;font-size:1.2rem;margin-right:1rem}
header nav{display:flex;flex-wrap:wrap;gap:.3rem .9rem;flex:1}
header nav a{padding:.15rem .1rem;border-bottom:2px solid transparent}
header nav a[aria-current=page]{border-bottom-color:#f2c14e}
header form{margin:0}
header button{background:transparent;border:1px solid #9bb0a2;color:#fff;border-radius:6px;padding:.25rem .7rem;font:inherit;cursor:pointer}
main{max-width:74rem;margin:1rem auto;padding:1.2rem 1.4rem 1.6rem;background:#fff;border-radius:12px}
h1{font-size:1.5rem;margin:.2rem 0 1rem;color:#1d4a2a}
h2{font-size:1.15rem;margin:1.8rem 0 .6rem;color:#1d4a2a}
a{color:#2f6b3f}
table{border-collapse:collapse;width:100%;font-size:.92rem;margin:.4rem 0 1rem}
td,th{border-bottom:1px solid #e3e7e4;padding:.35rem .4rem;text-align:left;vertical-align:top}
th{background:#f7f6f1;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(10.5rem,1fr));gap:.7rem;margin:.5rem 0 1rem}
.card{background:#f7f6f1;border-radius:10px;padding:.6rem .8rem}
.card b{display:block;font-size:1.6rem;color:#1d4a2a}
.notice{background:#eef5ef;border-radius:8px;padding:.7rem 1rem}
.alert{background:#fdf0e0;border-radius:8px;padding:.7rem 1rem}
.error{color:#a4262c;font-weight:600}
.hint{color:#5b6b61;font-size:.9rem}
label{display:block;font-weight:600;margin:.8rem 0 .3rem}
input[type=text],input[type=password],input[type=search]{font:inherit;padding:.5rem .6rem;border:1.5px solid #9bb0a2;border-radius:8px;width:100%;max-width:28rem}
button,.button{font:inherit;font-weight:600;padding:.5rem 1rem;border:0;border-radius:8px;background:#2f6b3f;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#e7ece8;color:#1f2a24}
button.danger{background:#a4262c}
.actions{display:flex;flex-wrap:wrap;gap:.8rem;align-items:center}
.actions form{margin:0}
input:focus,button:focus,a:focus{outline:3px solid #f2c14e;outline-offset:1px}
.two{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1.5rem}
@media (max-width:50rem){.two{grid-template-columns:1fr}}
pre{white-space:pre-wrap;background:#f7f6f1;padding:.8rem;border-radius:8px;font-size:.9rem}
.tag{display:inline-block;background:#e7ece8;border-radius:999px;padding:0 .55rem;font-size:.82rem}
`;

export const ADMIN_NAV = [
  { href: '/admin', label: 'Vue d’ensemble' },
  { href: '/admin/personnes', label: 'Personnes' },
  { href: '/admin/territoire', label: 'Territoire' },
  { href: '/admin/messages', label: 'À traiter' },
  { href: '/admin/reseaux', label: 'Réseaux et référent·es' },
  { href: '/admin/queues', label: 'Files de tâches' },
  { href: '/outbox', label: 'Boîte d’envoi' },
] as const;

export function adminPage(title: string, body: SafeHtml, options: { current?: string; csrf?: string } = {}): string {
  return html`<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} · console maillage</title>
<style>${raw(CSS)}</style>
</head>
<body>
<header><div class="in">
<a class="brand" href="/admin">maillage · console</a>
${options.csrf !== undefined
    ? html`<nav aria-label="Console">${ADMIN_NAV.map((n) => html`<a href="${n.href}"${options.current === n.href ? html` aria-current="page"` : ''}>${n.label}</a>`)}</nav>
<form method="post" action="/admin/deconnexion"><input type="hidden" name="csrf" value="${options.csrf}"><button type="submit">Se déconnecter</button></form>`
    : ''}
</div></header>
<main>
${body}
</main>
</body>
</html>`.value;
}
