// Dialogs: a square's title deed (with build / sell / mortgage for its owner) and the trade offer.
import { app, command, colorOf, nameOf, me } from './app.js';
import { $, $$, esc, toast } from './ui.js';
import { SQUARES, GROUP_COLORS, GROUP_MEMBERS, GROUP_NAMES, money, unmortgageCost, interest, isOwnable, groupHasBuildings } from './data.js';

let openIndex = null;

const DESCRIPTIONS = {
  go: 'Collect $200 salary each time you pass GO.',
  chance: 'Draw a Chance card.',
  community_chest: 'Draw a Community Chest card.',
  income_tax: 'Pay $200 to the bank.',
  luxury_tax: 'Pay $100 to the bank.',
  jail: 'In jail: roll doubles, pay $50 or use a Get Out of Jail Free card. Otherwise just visiting.',
  free_parking: 'A free rest (or the jackpot, with the house rule).',
  go_to_jail: 'Go directly to jail. Do not pass GO, do not collect $200.',
};

/// Why the current player may not take each action on a square (null = allowed), checked on the
/// client for the buttons only: the authority has the last word.
function checks(s, index) {
  const sq = s.squares[index];
  const info = SQUARES[index];
  const my = me();
  const result = {};
  if (!my || my.bankrupt || s.phase !== 'playing' || sq.owner !== app.player) return null;
  const group = info.group ? GROUP_MEMBERS[info.group] : [];
  const placing = !!s.placement && s.placement.player === app.player;
  const blocked = ['debt', 'mortgage_choice', 'auction'].includes(s.turn_stage) && !placing;
  // A building auction or a placement freezes every building and mortgage (only the placement itself goes on).
  const frozen = s.placement
    ? (placing ? `Place the ${s.placement.kind} you won first` : `${nameOf(s.placement.player)} is placing a ${s.placement.kind}`)
    : s.auction && s.auction.kind !== 'property' ? 'Not during the building auction' : null;
  if (info.kind === 'property') {
    const houses = group.map((k) => s.squares[k].houses);
    let build = null;
    if (!group.every((k) => s.squares[k].owner === app.player)) build = 'Own the whole colour group first';
    else if (group.some((k) => s.squares[k].mortgaged)) build = 'Lift the group’s mortgages first';
    else if (sq.houses >= 5) build = 'Already has a hotel';
    else if (s.options.even_build && sq.houses > Math.min(...houses)) build = 'Build evenly across the group';
    else if (placing) build = (sq.houses === 4) === (s.placement.kind === 'hotel') ? null : `The ${s.placement.kind} you won does not fit here`;
    else if (frozen) build = frozen;
    else if (blocked) build = 'Not now';
    else if (my.cash < info.house) build = `Costs ${money(info.house)}`;
    else if (sq.houses === 4 ? s.bank.hotels < 1 : s.bank.houses < 1) build = 'The bank is out of buildings';
    result.build = build;
    let sell = null;
    if (sq.houses === 0) sell = 'No buildings';
    else if (frozen) sell = frozen;
    else if (s.options.even_build && sq.houses < Math.max(...houses)) sell = 'Sell evenly across the group';
    result.sell = sell;
  }
  result.mortgage = sq.mortgaged ? 'Already mortgaged' : frozen || (groupHasBuildings(s, index) ? 'Sell the group’s buildings first' : null);
  // As the rules: no lifting during any auction, nor by a debtor (another player's debt does not stop it).
  result.unmortgage = !sq.mortgaged ? 'Not mortgaged'
    : frozen || (s.auction ? 'Not during an auction'
      : s.debts.some((d) => d.debtor === app.player) ? 'Pay your debt first'
      : my.cash < unmortgageCost(index) ? `Costs ${money(unmortgageCost(index))}` : null);
  return result;
}

function deedHTML(s, index) {
  const info = SQUARES[index];
  const sq = s.squares[index];
  const color = info.group ? GROUP_COLORS[info.group] : '#3b3f4a';
  let body = '';
  if (info.kind === 'property') {
    const r = info.rents;
    body = `<table class="rents"><tbody>
      <tr><td>Rent</td><td>${money(r[0])}</td></tr>
      <tr><td>With colour set</td><td>${money(r[0] * 2)}</td></tr>
      ${[1, 2, 3, 4].map((h) => `<tr class="${sq.houses === h ? 'now' : ''}"><td>With ${h} house${h > 1 ? 's' : ''}</td><td>${money(r[h])}</td></tr>`).join('')}
      <tr class="${sq.houses === 5 ? 'now' : ''}"><td>With hotel</td><td>${money(r[5])}</td></tr>
      </tbody></table>
      <p class="small muted">Houses cost ${money(info.house)} each · hotel ${money(info.house)} plus 4 houses · mortgage ${money(info.mortgage)}</p>`;
  } else if (info.kind === 'railroad') {
    body = `<table class="rents"><tbody>${info.rents.map((r, k) => `<tr><td>${k + 1} railroad${k ? 's' : ''} owned</td><td>${money(r)}</td></tr>`).join('')}</tbody></table>
      <p class="small muted">Mortgage ${money(info.mortgage)}</p>`;
  } else if (info.kind === 'utility') {
    body = `<p>Rent is 4 × the dice roll with one utility, 10 × with both.</p><p class="small muted">Mortgage ${money(info.mortgage)}</p>`;
  } else {
    body = `<p>${esc(DESCRIPTIONS[info.kind] || '')}</p>`;
  }
  let status = '';
  if (isOwnable(index)) {
    status = sq.owner
      ? `<p class="owner"><i class="dot" data-color="${colorOf(sq.owner)}"></i>Owned by <b>${esc(nameOf(sq.owner))}</b>${sq.houses === 5 ? ' · hotel' : sq.houses ? ` · ${sq.houses} house${sq.houses > 1 ? 's' : ''}` : ''}${sq.mortgaged ? ' · <span class="tag tag-warn">mortgaged</span>' : ''}</p>`
      : `<p class="owner muted">Unowned · price ${money(info.price)}</p>`;
  }
  const here = s.players.filter((p) => !p.bankrupt && p.position === index).map((p) => esc(p.name));
  if (here.length) status += `<p class="small muted">Here: ${here.join(', ')}</p>`;
  return { color, body, status };
}

function actionsHTML(s, index) {
  const c = checks(s, index);
  if (!c) return '';
  const info = SQUARES[index];
  const btn = (cmd, label, why, testid) =>
    `<button type="button" class="btn ${why ? '' : 'btn-primary'}" data-dcmd="${cmd}" data-square-index="${index}" data-testid="${testid}" ${why ? `disabled title="${esc(why)}"` : ''}>${label}${why ? `<small>${esc(why)}</small>` : ''}</button>`;
  const out = [];
  const choice = s.mortgage_choices.find((m) => m.player === app.player && m.square === index);
  if (choice) {
    out.push(btn('lift_mortgage', `Lift mortgage ${money(unmortgageCost(index))}`, me().cash < unmortgageCost(index) ? 'Not enough cash' : null, 'square-lift'));
    out.push(btn('keep_mortgage', `Keep, pay ${money(interest(index))}`, null, 'square-keep'));
  }
  if (info.kind === 'property') {
    const sq = s.squares[index];
    const placing = s.placement && s.placement.player === app.player;
    out.push(btn('build', placing ? `Place the ${s.placement.kind} here` : sq.houses === 4 ? `Build hotel ${money(info.house)}` : `Build house ${money(info.house)}`, c.build, 'square-build'));
    out.push(btn('sell', `Sell ${sq.houses === 5 ? 'hotel' : 'house'} +${money(info.house / 2)}`, c.sell, 'square-sell'));
  }
  if (!choice) {
    if (s.squares[index].mortgaged) out.push(btn('unmortgage', `Unmortgage ${money(unmortgageCost(index))}`, c.unmortgage, 'square-unmortgage'));
    else out.push(btn('mortgage', `Mortgage +${money(info.mortgage)}`, c.mortgage, 'square-mortgage'));
  }
  return `<div class="deed-actions">${out.join('')}</div>`;
}

function renderSquare() {
  const dialog = $('#square-dialog');
  const s = app.state;
  if (openIndex == null || !s) return;
  const info = SQUARES[openIndex];
  const { color, body, status } = deedHTML(s, openIndex);
  const light = ['light_blue', 'yellow'].includes(info.group);
  const html = `<div class="deed" data-index="${openIndex}">
    <header data-band="${color}" class="${light ? 'light' : ''}">
      <span class="small">${info.group ? esc(GROUP_NAMES[info.group]) : 'Square'} ${openIndex}</span>
      <h2 id="square-title">${esc(info.name)}</h2>
    </header>
    <div class="deed-body">${status}${body}</div>
    ${actionsHTML(s, openIndex)}
    <form method="dialog" class="row end"><button class="btn btn-ghost" data-testid="square-close">Close</button></form>
  </div>`;
  if (dialog.__html !== html) {
    dialog.innerHTML = html;
    dialog.__html = html;
  }
}

export function openSquare(index) {
  if (!app.state) return;
  openIndex = index;
  renderSquare();
  const dialog = $('#square-dialog');
  if (!dialog.open) dialog.showModal();
}

export function refreshSquare() {
  if ($('#square-dialog').open) {
    const focused = document.activeElement?.dataset?.testid;
    renderSquare();
    if (focused) $(`#square-dialog [data-testid="${focused}"]`)?.focus();
  }
}

// MARK: - Trade dialog

function tradable(s, id) {
  return s.squares.filter((q) => q.owner === id && !groupHasBuildings(s, q.index));
}

function sideHTML(s, id, prefix) {
  const p = s.players.find((x) => x.id === id);
  if (!p) return '';
  const props = tradable(s, id).map((q) => {
    const info = SQUARES[q.index];
    return `<label class="check-prop"><input type="checkbox" name="${prefix}-prop" value="${q.index}" data-testid="${prefix}-prop-${q.index}">
      <i class="chip" data-band="${GROUP_COLORS[info.group]}"></i>${esc(info.name)}${q.mortgaged ? ' <span class="tag tag-warn">mortgaged</span>' : ''}</label>`;
  }).join('');
  return `<label class="field"><span>Cash (has ${money(p.cash)})</span>
      <span class="money-input"><span>$</span><input type="number" min="0" max="${p.cash}" value="0" id="${prefix}-cash" data-testid="${prefix}-cash"></span></label>
    ${p.jail_cards ? `<label class="field"><span>Get Out of Jail Free cards (has ${p.jail_cards})</span><input type="number" min="0" max="${p.jail_cards}" value="0" id="${prefix}-cards" data-testid="${prefix}-cards"></label>` : ''}
    <div class="prop-list">${props || '<p class="muted small">No tradable properties.</p>'}</div>`;
}

export function openTrade(to) {
  const s = app.state;
  if (!s || !app.player) return;
  const others = s.players.filter((p) => p.id !== app.player && !p.bankrupt);
  if (!others.length) return;
  const partner = others.find((p) => p.id === to) || others[0];
  const dialog = $('#trade-dialog');
  dialog.innerHTML = `<form id="trade-form" class="trade-form">
    <h2 id="trade-title">Propose a trade</h2>
    <label class="field"><span>Trade with</span>
      <select id="trade-to" data-testid="trade-to">${others.map((p) => `<option value="${p.id}" ${p.id === partner.id ? 'selected' : ''}>${esc(p.name)}</option>`).join('')}</select></label>
    <div class="trade-cols">
      <fieldset><legend>You give</legend><div id="trade-give">${sideHTML(s, app.player, 'give')}</div></fieldset>
      <fieldset><legend id="trade-get-legend">${esc(partner.name)} gives</legend><div id="trade-get">${sideHTML(s, partner.id, 'get')}</div></fieldset>
    </div>
    <div class="row end">
      <button type="button" class="btn btn-ghost" data-testid="trade-cancel" id="trade-cancel">Cancel</button>
      <button type="submit" class="btn btn-primary" data-testid="trade-send">Send offer</button>
    </div></form>`;
  $('#trade-to', dialog).addEventListener('change', (e) => {
    const id = e.target.value;
    $('#trade-get', dialog).innerHTML = sideHTML(app.state, id, 'get');
    $('#trade-get-legend', dialog).textContent = `${nameOf(id)} gives`;
  });
  $('#trade-cancel', dialog).addEventListener('click', () => dialog.close());
  $('#trade-form', dialog).addEventListener('submit', async (e) => {
    e.preventDefault();
    const offer = (prefix) => ({
      cash: Number($(`#${prefix}-cash`, dialog)?.value || 0),
      properties: $$(`input[name="${prefix}-prop"]:checked`, dialog).map((x) => Number(x.value)),
      jail_cards: Number($(`#${prefix}-cards`, dialog)?.value || 0),
    });
    const give = offer('give');
    const get = offer('get');
    if (!give.cash && !give.properties.length && !give.jail_cards && !get.cash && !get.properties.length && !get.jail_cards) {
      return toast('Add something to the offer.', 'info');
    }
    const answer = await command('trade_propose', { to: $('#trade-to', dialog).value, give, get });
    if (answer) {
      dialog.close();
      toast('Offer sent.', 'ok', 2000);
    }
  });
  dialog.showModal();
}

$('#square-dialog').addEventListener('click', async (e) => {
  const dialog = $('#square-dialog');
  if (e.target === dialog) return dialog.close(); // click on the backdrop
  const target = e.target.closest('[data-dcmd]');
  if (!target || target.disabled) return;
  target.disabled = true;
  await command(target.dataset.dcmd, { square: Number(target.dataset.squareIndex) });
  target.disabled = false;
});
// `close` is dispatched asynchronously: the dialog may already show another square by then.
$('#square-dialog').addEventListener('close', () => {
  if ($('#square-dialog').open) return;
  openIndex = null;
  $('#square-dialog').__html = null;
});
$('#trade-dialog').addEventListener('click', (e) => { if (e.target === e.currentTarget) e.currentTarget.close(); });
