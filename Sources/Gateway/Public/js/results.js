// The results screen of a finished game: ranking, net worth over the turns (an SVG line chart
// drawn here, no library), rents, purchases, trades, turns in jail and the longest-held colour
// group. Data: `state.results` (null until the game is over).
import { $, esc } from './ui.js';
import { GROUP_NAMES, money } from './data.js';

const SVG = 'http://www.w3.org/2000/svg';
const CHART = { width: 640, height: 260, left: 64, right: 16, top: 14, bottom: 30 };

let shownFor = null;

/// Shows the results dialog once per finished game (and keeps the Results button to reopen it).
export function showResults(game, state, { nameOf, colorOf }) {
  const button = $('#results-button');
  const results = state && state.phase === 'finished' ? state.results : null;
  button.hidden = !results;
  if (!results) return;
  const dialog = $('#results-dialog');
  const key = `${game}:${results.sample_turns.at(-1)}`;
  fill(dialog, game, state, results, nameOf, colorOf);
  if (shownFor !== key) {
    shownFor = key;
    if (!dialog.open) dialog.showModal();
  }
}

/// Opens the dialog again (the Results button).
export function reopenResults() {
  const dialog = $('#results-dialog');
  if (!dialog.open && dialog.childElementCount) dialog.showModal();
}

function fill(dialog, game, state, r, nameOf, colorOf) {
  const byId = new Map(r.players.map((p) => [p.id, p]));
  const final = (p) => p.net_worth.at(-1) ?? 0;
  const rows = r.ranking.map((id, k) => {
    const p = byId.get(id);
    if (!p) return '';
    const out = state.players.find((x) => x.id === id)?.bankrupt;
    return `<tr data-testid="results-row">
      <td>${k + 1}</td>
      <td><i class="dot" data-color="${colorOf(id)}"></i>${esc(nameOf(id))}${out ? ' <span class="muted small">bankrupt</span>' : ''}</td>
      <td class="num">${money(final(p))}</td><td class="num">${money(p.rent_paid)}</td><td class="num">${money(p.rent_received)}</td>
      <td class="num">${p.properties_bought}</td><td class="num">${p.trades_made}</td><td class="num">${p.turns_in_jail}</td></tr>`;
  }).join('');
  const m = r.longest_monopoly;
  const monopoly = m
    ? `${esc(nameOf(m.player))} held ${esc(GROUP_NAMES[m.group] ?? m.group)} for ${m.turns} turn${m.turns === 1 ? '' : 's'} (from turn ${m.from_turn}).`
    : 'Nobody held a whole colour group.';
  const winner = state.winner ? `${esc(nameOf(state.winner))} wins` : 'No winner';
  dialog.innerHTML = `<form method="dialog" class="results">
    <h2 id="results-title">Results · ${winner}</h2>
    <p class="muted small">Game ${esc(game)} · ${state.turn_number} turns</p>
    <table class="results-table" data-testid="results-table">
      <thead><tr><th>#</th><th>Player</th><th class="num">Net worth</th><th class="num">Rent paid</th><th class="num">Rent received</th>
      <th class="num">Bought</th><th class="num">Trades</th><th class="num">Turns in jail</th></tr></thead>
      <tbody>${rows}</tbody></table>
    <p data-testid="longest-monopoly"><b>Longest-held monopoly:</b> ${monopoly}</p>
    <h3>Net worth</h3>
    <div class="results-chart" data-testid="results-chart"></div>
    <div class="row end">
      <a class="btn" href="${esc(logURL(game))}" download="monopoly-${esc(game)}-log.json" data-testid="results-log"
        title="Every command of the game: monopoly replay --file checks it against the rules engine">Download the command log</a>
      <button class="btn btn-primary" value="close" data-testid="results-close">Close</button>
    </div></form>`;
  dialog.querySelector('.results-chart').appendChild(chart(r, nameOf, colorOf));
}

/// The finished game's command log (`GET /games/GAME/log.json`), next to the page like board.json.
function logURL(game) {
  return new URL(`../games/${encodeURIComponent(game)}/log.json`, import.meta.url).href;
}

function el(name, attributes = {}, text = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

/// One polyline per player over `sample_turns`, with turn and money axes.
function chart(r, nameOf, colorOf) {
  const { width, height, left, right, top, bottom } = CHART;
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Net worth of each player over the turns', 'data-testid': 'net-worth-chart' });
  const turns = r.sample_turns;
  const values = r.players.flatMap((p) => p.net_worth);
  const maxValue = Math.max(1, ...values);
  const firstTurn = turns[0] ?? 1, lastTurn = Math.max(turns.at(-1) ?? 1, firstTurn + 1);
  const x = (turn) => left + ((turn - firstTurn) / (lastTurn - firstTurn)) * (width - left - right);
  const y = (value) => top + (1 - value / maxValue) * (height - top - bottom);
  svg.appendChild(el('line', { class: 'axis', x1: left, y1: y(0), x2: width - right, y2: y(0) }));
  svg.appendChild(el('line', { class: 'axis', x1: left, y1: top, x2: left, y2: y(0) }));
  for (let k = 0; k <= 4; k += 1) {
    const value = Math.round((maxValue * k) / 4);
    svg.appendChild(el('line', { class: 'grid', x1: left, y1: y(value), x2: width - right, y2: y(value) }));
    svg.appendChild(el('text', { class: 'tick', x: left - 6, y: y(value) + 4, 'text-anchor': 'end' }, money(value)));
  }
  for (const turn of [firstTurn, Math.round((firstTurn + lastTurn) / 2), lastTurn]) {
    svg.appendChild(el('text', { class: 'tick', x: x(turn), y: height - 10, 'text-anchor': 'middle' }, `turn ${turn}`));
  }
  for (const p of r.players) {
    const points = p.net_worth.map((value, k) => `${x(turns[k]).toFixed(1)},${y(value).toFixed(1)}`).join(' ');
    const line = el('polyline', { class: 'series', points, fill: 'none', stroke: colorOf(p.id), 'stroke-width': 2.5, 'data-player': p.id });
    line.appendChild(el('title', {}, nameOf(p.id)));
    svg.appendChild(line);
  }
  return svg;
}
