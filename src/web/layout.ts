// The one page layout: small, readable on a phone, no external asset, no JavaScript needed.
import { html, raw, type SafeHtml } from './html.js';

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:17px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f2a24;background:#f3f1ea}
header,main,footer{max-width:44rem;margin:0 auto;padding:0 1rem}
header{padding-top:1.2rem}
header a{color:#2f6b3f;text-decoration:none;font-weight:700;font-size:1.4rem}
header p{margin:.1rem 0 0;color:#5b6b61;font-size:.9rem}
main{background:#fff;border-radius:12px;padding:1.2rem 1.4rem 1.6rem;margin-top:1rem}
h1{font-size:1.55rem;line-height:1.25;margin:.4rem 0 1rem;color:#1d4a2a}
h2{font-size:1.2rem;margin:1.6rem 0 .6rem;color:#1d4a2a}
a{color:#2f6b3f}
label{display:block;font-weight:600;margin:1.1rem 0 .3rem}
.hint{display:block;font-weight:400;color:#5b6b61;font-size:.9rem}
input[type=text],input[type=email],select,textarea{width:100%;font:inherit;padding:.6rem .7rem;border:1.5px solid #9bb0a2;border-radius:8px;background:#fff}
textarea{min-height:9rem}
input:focus,select:focus,textarea:focus,button:focus{outline:3px solid #f2c14e;outline-offset:1px}
fieldset{border:0;padding:0;margin:1.1rem 0 0}
legend{font-weight:600;margin-bottom:.3rem;padding:0}
.choice{display:flex;gap:.55rem;align-items:flex-start;font-weight:400;margin:.35rem 0}
.choice input{margin-top:.35rem;width:1.1rem;height:1.1rem;flex:none}
.cats{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:0 1rem}
.error{color:#a4262c;font-weight:600;font-size:.95rem;margin:.25rem 0 0}
.invalid{border-color:#a4262c!important}
.summary{border:2px solid #a4262c;border-radius:8px;padding:.6rem 1rem;margin-bottom:1rem}
button,.button{display:inline-block;font:inherit;font-weight:700;font-size:1.1rem;padding:.85rem 1.6rem;border:0;border-radius:10px;background:#2f6b3f;color:#fff;cursor:pointer;text-decoration:none;margin-top:1.3rem}
button.secondary,.button.secondary{background:#e7ece8;color:#1f2a24}
.big{width:100%;font-size:1.25rem;padding:1.1rem}
.notice{background:#eef5ef;border-radius:8px;padding:.8rem 1rem}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
footer{color:#5b6b61;font-size:.85rem;padding:1.2rem 1rem 2rem}
table{border-collapse:collapse;width:100%;font-size:.95rem}
td,th{border-bottom:1px solid #e3e7e4;padding:.4rem .3rem;text-align:left;vertical-align:top}
`;

export function page(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} · maillage</title>
<style>${raw(CSS)}</style>
</head>
<body>
<header><a href="/">maillage</a><p>des rencontres pour les projets collectifs écologiques</p></header>
<main>
${body}
</main>
<footer>maillage est un commun : un service libre, sans publicité, qui ne revend aucune donnée. Vos coordonnées ne sont transmises à une autre personne que si vous acceptez tous les deux de vous rencontrer.</footer>
</body>
</html>`.value;
}

