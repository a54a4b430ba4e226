/**
 * The dashboard's stylesheet, served from /assets/dashboard.css so the CSP can forbid inline
 * styles. Colours meet WCAG AA contrast (4.5:1) on their backgrounds.
 */
export const DASHBOARD_CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #4a5561; --bg: #ffffff; --line: #d0d7de; --accent: #0a58ca; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem; }
header { display: flex; align-items: center; justify-content: space-between; gap: 1rem; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.25rem; margin: 0; }
h2 { font-size: 1.1rem; margin: 2rem 0 .5rem; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
.button, button { display: inline-block; padding: .5rem 1rem; border-radius: .375rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; font: inherit; text-decoration: none; cursor: pointer; }
.button.secondary, button.secondary { background: #fff; color: var(--accent); }
table { width: 100%; border-collapse: collapse; }
caption { text-align: left; color: var(--muted); padding: .25rem 0; }
th, td { text-align: left; vertical-align: top; padding: .5rem; border-bottom: 1px solid var(--line); }
th { font-weight: 600; }
.badge { display: inline-block; padding: .1rem .5rem; border-radius: 999px; font-size: .875rem; font-weight: 600; }
.badge.healthy { background: #dafbe1; color: #0f5323; }
.badge.expiring { background: #fff1c2; color: #633c01; }
.badge.needs_reauth, .badge.missing_permission { background: #ffebe9; color: #82071e; }
.muted { color: var(--muted); }
.problem { margin: .25rem 0 0; }
.counts { display: flex; flex-wrap: wrap; gap: 1rem 1.5rem; list-style: none; padding: 0; }
/* Buttons, headings and times stay on one line; the reason column takes the wrapping. */
.button, button, thead th, time, [data-testid=token-expiry], [data-testid=data-access] { white-space: nowrap; }
.counts li { border: 1px solid var(--line); border-radius: .375rem; padding: .5rem 1rem; }
.notice { border: 1px solid var(--line); border-left: 4px solid var(--accent); padding: .75rem 1rem; }
.notice.error { border-left-color: #cf222e; }
form.inline { display: inline; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
input[type=password] { font: inherit; padding: .5rem; width: 100%; max-width: 28rem; border: 1px solid #6e7781; border-radius: .375rem; }
.charts figure.chart { margin: 1rem 0 1.5rem; }
.charts figcaption { font-weight: 600; }
.charts svg { display: block; max-width: 48rem; height: auto; }
.charts .axis { font-size: 11px; fill: var(--muted); }
.charts .axis-line { stroke: var(--line); }
.series-sent { fill: #1a7f37; background: #1a7f37; }
.series-failed { fill: #cf222e; background: #cf222e; }
.series-held { fill: #9a6700; background: #9a6700; }
.series-unknown { fill: #6e7781; background: #6e7781; }
.series-percent { fill: #0a58ca; background: #0a58ca; }
.series-healthy { fill: #1a7f37; background: #1a7f37; }
.series-expiring { fill: #bf8700; background: #bf8700; }
.series-needs_reauth { fill: #cf222e; background: #cf222e; }
.series-missing_permission { fill: #8250df; background: #8250df; }
.legend { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; padding: 0; margin: .25rem 0; font-size: .875rem; }
.legend .swatch { display: inline-block; width: .75rem; height: .75rem; margin-right: .35rem; border-radius: 2px; vertical-align: -1px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
/* The operations console: navigation, filters, actions, message statuses. */
.nav { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
select:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
.filters { display: flex; flex-wrap: wrap; align-items: end; gap: .5rem 1rem; margin: 1rem 0; }
.filters label { margin: 0; }
select { font: inherit; padding: .4rem; border: 1px solid #6e7781; border-radius: .375rem; background: #fff; color: var(--fg); }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; }
.badge[class*=outbox-] { background: #eaeef2; color: var(--fg); }
.badge.outbox-sent, .badge.outbox-delivered, .badge.outbox-read { background: #dafbe1; color: #0f5323; }
.badge.outbox-failed, .badge.outbox-unknown, .badge.outbox-held { background: #ffebe9; color: #82071e; }
`;
