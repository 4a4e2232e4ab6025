// The game side panel: actions offered only when legal, the auction, trades, players, clocks.
import { app, command, colorOf, nameOf, me } from './app.js';
import { $, esc, setHTML, ask } from './ui.js';
import { serverClock } from './net.js';
import { SQUARES, GROUP_COLORS, GROUP_MEMBERS, money, groupHasBuildings } from './data.js';
import { skipVoteHTML, skipVoteBadge } from './skipvote.js';

const button = (cmd, label, { kind = '', args = null, disabled = false, title = '', testid = cmd.replace(/_/g, '-') } = {}) =>
  `<button type="button" class="btn ${kind}" data-cmd="${cmd}" ${args ? `data-args='${esc(JSON.stringify(args))}'` : ''}
    data-testid="${testid}" ${disabled ? 'disabled' : ''} ${title ? `title="${esc(title)}"` : ''}>${label}</button>`;

const partyName = (party) => (party === 'bank' ? 'the bank' : party === 'jackpot' ? 'the Free Parking jackpot' : nameOf(party));

/// What a player could raise by selling every building and mortgaging every property.
export function liquidation(s, id) {
  let total = 0;
  for (const sq of s.squares) {
    if (sq.owner !== id) continue;
    const info = SQUARES[sq.index];
    total += sq.houses * (info.house / 2);
    if (!sq.mortgaged) total += info.mortgage;
  }
  return total;
}

function raiseCashList(s) {
  const rows = [];
  for (const sq of s.squares) {
    if (sq.owner !== app.player) continue;
    const info = SQUARES[sq.index];
    let action = '';
    if (sq.houses > 0) {
      const most = Math.max(...GROUP_MEMBERS[info.group].map((k) => s.squares[k].houses));
      const even = !s.options.even_build || sq.houses === most;
      action = button('sell', `Sell ${sq.houses === 5 ? 'hotel' : 'house'} +${money(info.house / 2)}`,
        { args: { square: sq.index }, disabled: !even, title: even ? '' : 'Sell evenly: start with the lots that have the most buildings', testid: `raise-sell-${sq.index}`, kind: 'btn-small' });
    } else if (!sq.mortgaged && !groupHasBuildings(s, sq.index)) {
      action = button('mortgage', `Mortgage +${money(info.mortgage)}`, { args: { square: sq.index }, testid: `raise-mortgage-${sq.index}`, kind: 'btn-small' });
    } else continue;
    rows.push(`<li><button type="button" class="linkish" data-square="${sq.index}"><i class="chip" data-band="${GROUP_COLORS[info.group]}"></i>${esc(info.name)}</button>${action}</li>`);
  }
  return rows.length ? `<ul class="raise-list" data-testid="raise-cash">${rows.join('')}</ul>` : '<p class="muted small">Nothing left to sell or mortgage.</p>';
}

export function renderActions(s) {
  const el = $('#actions');
  const my = me();
  const out = [];
  const stage = s.turn_stage;
  const mine = s.current === app.player;

  if (s.phase === 'finished') {
    out.push(`<div class="notice notice-win" data-testid="game-over"><strong>${esc(s.winner ? nameOf(s.winner) : 'Nobody')}</strong> won the game.</div>`);
    out.push(`<button type="button" class="btn btn-primary btn-wide" data-action="leave" data-testid="back-to-lobby">Back to the lobby</button>`);
  } else if (s.phase !== 'playing') {
    // The waiting room has its own card.
  } else if (!app.player) {
    out.push(`<p class="muted">You are watching this game.</p>`);
    out.push(`<button type="button" class="btn btn-ghost" data-action="leave" data-testid="stop-watching">Stop watching</button>`);
  } else if (!my || my.bankrupt) {
    out.push(`<div class="notice">You are out of the game. Keep watching to see who wins.</div>`);
  } else {
    const myDebt = s.debts.find((d) => d.debtor === app.player);
    if (stage === 'debt' && myDebt) {
      const short = myDebt.amount - my.cash;
      const worth = liquidation(s, app.player);
      out.push(`<div class="notice notice-danger" data-testid="debt-notice">
        <strong>You owe ${money(myDebt.amount)}</strong> to ${esc(partyName(myDebt.creditor))} (${esc(myDebt.reason)}).
        You have ${money(my.cash)}: raise ${money(short)} by selling buildings or mortgaging.
        The debt is paid as soon as you have the cash.</div>`);
      out.push(raiseCashList(s));
      out.push(`<div class="row">${button('bankrupt', 'Declare bankruptcy', { kind: worth < short ? 'btn-danger' : 'btn-ghost', testid: 'bankrupt', title: worth < short ? '' : `You can still raise ${money(worth)}` })}</div>`);
    } else if (stage === 'debt') {
      const debtor = s.debts[0]?.debtor;
      out.push(`<p class="waiting">Waiting for <b>${esc(nameOf(debtor))}</b> to raise cash…</p>`);
    } else if (stage === 'mortgage_choice') {
      const mineChoices = s.mortgage_choices.filter((c) => c.player === app.player);
      if (mineChoices.length) {
        for (const c of mineChoices) {
          const info = SQUARES[c.square];
          const lift = info.mortgage + Math.ceil(info.mortgage / 10);
          out.push(`<div class="notice">You received mortgaged <b>${esc(info.name)}</b>.</div>
            <div class="row">${button('lift_mortgage', `Lift mortgage ${money(lift)}`, { kind: 'btn-primary', args: { square: c.square }, testid: `lift-${c.square}`, disabled: my.cash < lift })}
            ${button('keep_mortgage', `Keep it, pay ${money(Math.ceil(info.mortgage / 10))}`, { args: { square: c.square }, testid: `keep-${c.square}` })}</div>`);
        }
      } else {
        out.push(`<p class="waiting">Waiting for a mortgage decision…</p>`);
      }
    } else if (stage === 'placement') {
      if (s.placement.player === app.player) {
        out.push(`<div class="notice">You won a ${esc(s.placement.kind)}: click one of your lots to place it.</div>`);
      } else {
        out.push(`<p class="waiting">Waiting for ${esc(nameOf(s.placement.player))} to place a building…</p>`);
      }
    } else if (stage === 'auction') {
      // The auction panel below has the controls.
    } else if (mine && stage === 'buy') {
      const info = SQUARES[s.pending_buy];
      const afford = my.cash >= info.price;
      out.push(`<div class="offer"><i class="chip big" data-band="${GROUP_COLORS[info.group]}"></i>
        <div><button type="button" class="linkish" data-square="${s.pending_buy}"><b>${esc(info.name)}</b></button><div class="muted small">For sale: ${money(info.price)}</div></div></div>`);
      out.push(`<div class="row">
        ${button('buy', `Buy for ${money(info.price)}`, { kind: 'btn-primary', disabled: !afford, title: afford ? '' : 'Not enough cash: mortgage or sell first, or decline' })}
        ${button('decline', s.options.auctions ? 'Auction it' : 'Decline', { testid: 'decline' })}</div>`);
      if (!afford) out.push('<p class="muted small">Not enough cash: mortgage or sell to raise it (click your properties), or send it to auction.</p>');
    } else if (mine && stage === 'jail_fine') {
      out.push(`<div class="notice">A third miss: pay the $50 fine or use your Get Out of Jail Free card, then move.</div>`);
      out.push(`<div class="row wrap">
        ${my.jail_cards > 0 ? button('jail_card', 'Use Get Out of Jail Free card', { kind: 'btn-primary' }) : ''}
        ${button('jail_pay', 'Pay $50', { title: my.cash < 50 ? 'You will have to raise it before moving' : '' })}</div>`);
    } else if (mine && stage === 'roll') {
      if (my.in_jail) {
        // The $50 may be paid before the first two rolls only; the third turn rolls (or uses a card).
        const third = my.jail_turns >= 2;
        out.push(`<div class="notice">You are in jail (attempt ${my.jail_turns + 1} of 3${third ? ': a miss costs $50' : ''}).</div>`);
        out.push(`<div class="row wrap">
          ${button('roll', 'Roll for doubles', { kind: 'btn-primary' })}
          ${third ? '' : button('jail_pay', 'Pay $50', { disabled: my.cash < 50 })}
          ${my.jail_cards > 0 ? button('jail_card', 'Use Get Out of Jail Free card') : ''}</div>`);
      } else {
        out.push(`<div class="row">${button('roll', s.dice && my.doubles > 0 ? 'Doubles! Roll again' : 'Roll the dice', { kind: 'btn-primary btn-wide btn-big' })}</div>`);
      }
    } else if (mine && stage === 'end_turn') {
      out.push(`<div class="row">${button('end_turn', 'End turn', { kind: 'btn-primary btn-wide btn-big' })}</div>`);
    } else {
      const who = s.awaiting.length ? s.awaiting.map(nameOf).join(', ') : nameOf(s.current);
      out.push(`<p class="waiting">Waiting for <b>${esc(who)}</b>…</p>`);
    }
    out.push(skipVoteHTML(s, my, nameOf));
    const others = s.players.filter((p) => p.id !== app.player && !p.bankrupt);
    out.push(`<div class="row wrap tools">
      <button type="button" class="btn btn-ghost btn-small" data-open-trade="" data-testid="open-trade" ${others.length ? '' : 'disabled'}>Propose a trade</button>
      <button type="button" class="btn btn-ghost btn-small" data-action="leave" data-testid="resign">Resign</button></div>
      <p class="hint muted small">Tip: click your properties on the board to build, sell or mortgage.</p>`);
  }
  setHTML(el, out.join(''));
}

export function renderAuction(s) {
  const panel = $('#auction-panel');
  const a = s.auction;
  if (!a || s.phase !== 'playing') {
    panel.hidden = true;
    setHTML(panel, '');
    return;
  }
  panel.hidden = false;
  const my = me();
  const what = a.square != null ? SQUARES[a.square].name : `A ${a.kind} (building shortage)`;
  const canBid = app.player && a.bidders.includes(app.player) && !a.passed.includes(app.player) && a.high_bidder !== app.player && my && !my.bankrupt;
  const min = a.high_bid + 1;
  const previous = $('#bid-input', panel);
  let value = previous ? Number(previous.value) : 0;
  if (!(value >= min)) value = Math.min(my ? my.cash : min, Math.max(min, a.high_bid + 10));
  const bidders = a.bidders.map((id) => {
    const state = a.high_bidder === id ? 'high' : a.passed.includes(id) ? 'passed' : 'in';
    return `<li class="bidder bidder-${state}" data-testid="bidder-${id}"><i class="dot" data-color="${colorOf(id)}"></i>${esc(nameOf(id))}${state === 'high' ? ' ★' : state === 'passed' ? ' (out)' : ''}</li>`;
  }).join('');
  const clock = s.options.auction_seconds ? '<div class="clock-bar"><span id="auction-bar"></span></div><span id="auction-timer" class="timer" data-testid="auction-timer"></span>' : '';
  setHTML(panel, `<h3>Auction${a.square != null ? '' : ''}: ${a.square != null ? `<button type="button" class="linkish" data-square="${a.square}">${esc(what)}</button>` : esc(what)}</h3>
    <div class="auction-high" data-testid="auction-high">${a.high_bidder ? `High bid <b>${money(a.high_bid)}</b> by ${esc(nameOf(a.high_bidder))}` : 'No bids yet'}</div>
    ${clock}
    <ul class="bidders">${bidders}</ul>
    ${canBid ? `<form class="bid-form row" data-testid="bid-form">
        <label class="sr-only" for="bid-input">Your bid</label>
        <span class="money-input"><span>$</span><input id="bid-input" type="number" min="${min}" max="${my.cash}" step="1" value="${value}" data-testid="bid-input"></span>
        <button type="submit" class="btn btn-primary" data-testid="bid">Bid</button>
        ${button('pass', 'Pass', { kind: 'btn-ghost' })}
      </form>
      <div class="row quick">${[1, 10, 50, 100].map((d) => `<button type="button" class="btn btn-small btn-ghost" data-bid-plus="${d}" data-testid="bid-plus-${d}" ${a.high_bid + d > my.cash ? 'disabled' : ''}>+${d}</button>`).join('')}</div>`
      : `<p class="muted small">${a.high_bidder === app.player ? 'You hold the high bid.' : app.player && a.passed.includes(app.player) ? 'You passed.' : 'Watching the auction.'}</p>`}`);
  const input = $('#bid-input', panel);
  if (input && previous && Number(previous.value) >= min) input.value = String(value);
}

export function renderTrades(s) {
  const el = $('#trades');
  if (s.phase !== 'playing' || !s.trades.length) return setHTML(el, '');
  const side = (offer) => {
    const parts = [];
    if (offer.cash) parts.push(money(offer.cash));
    for (const k of offer.properties) parts.push(`<button type="button" class="linkish" data-square="${k}"><i class="chip" data-band="${GROUP_COLORS[SQUARES[k].group]}"></i>${esc(SQUARES[k].name)}</button>`);
    if (offer.jail_cards) parts.push(`${offer.jail_cards} jail card${offer.jail_cards > 1 ? 's' : ''}`);
    return parts.length ? parts.join(', ') : 'nothing';
  };
  // The rules settle trades only when no auction runs and no building won at auction waits to be placed.
  const wait = s.auction ? 'Trades are settled after the auction' : s.placement ? 'Trades are settled once the building won at auction is placed' : '';
  const items = s.trades.map((t) => {
    let buttons = '';
    if (t.to === app.player) {
      buttons = button('trade_accept', 'Accept', { kind: 'btn-primary btn-small', args: { trade: t.id }, testid: `trade-accept-${t.id}`, disabled: !!wait, title: wait })
        + button('trade_reject', 'Reject', { kind: 'btn-ghost btn-small', args: { trade: t.id }, testid: `trade-reject-${t.id}` });
    } else if (t.from === app.player) {
      buttons = button('trade_reject', 'Withdraw', { kind: 'btn-ghost btn-small', args: { trade: t.id }, testid: `trade-withdraw-${t.id}` });
    }
    return `<li class="trade ${t.to === app.player ? 'trade-incoming' : ''}" data-testid="trade-${t.id}">
      <div><b>${esc(nameOf(t.from))}</b> offers <b>${esc(nameOf(t.to))}</b> ${side(t.give)}</div>
      <div class="muted">in exchange for ${side(t.get)}</div>
      <div class="row">${buttons}</div></li>`;
  }).join('');
  setHTML(el, `<h3>Trades</h3><ul class="trade-list">${items}</ul>`);
}

export function renderPlayers(s) {
  const items = s.players.map((p) => {
    const badges = [];
    if (p.id === app.player) badges.push('<span class="tag tag-you">you</span>');
    if (p.id === s.host && s.phase === 'lobby') badges.push('<span class="tag">host</span>');
    if (p.bot) badges.push('<span class="tag">bot</span>');
    if (p.in_jail) badges.push('<span class="tag tag-jail" data-testid="jailed">in jail</span>');
    if (p.jail_cards > 0) badges.push(`<span class="tag tag-card" title="Get Out of Jail Free cards">${p.jail_cards} jail card${p.jail_cards > 1 ? 's' : ''}</span>`);
    if (p.away) badges.push('<span class="tag tag-warn">away</span>');
    else if (!p.connected && !p.bot) badges.push(`<span class="tag tag-warn" data-testid="offline-${p.id}">offline</span>`);
    badges.push(skipVoteBadge(s, p));
    if (p.bankrupt) badges.push('<span class="tag tag-out">bankrupt</span>');
    const props = s.squares.filter((q) => q.owner === p.id).map((q) => {
      const info = SQUARES[q.index];
      const houses = q.houses === 5 ? 'H' : q.houses ? String(q.houses) : '';
      return `<button type="button" class="chip-btn ${q.mortgaged ? 'mortgaged' : ''}" data-square="${q.index}" title="${esc(info.name)}${q.mortgaged ? ' (mortgaged)' : ''}" aria-label="${esc(info.name)}" data-band="${GROUP_COLORS[info.group]}">${houses}</button>`;
    }).join('');
    const current = s.phase === 'playing' && s.current === p.id;
    return `<li class="player ${current ? 'current' : ''} ${p.bankrupt ? 'out' : ''}" data-player="${p.id}" data-testid="player-${p.id}">
      <span class="avatar" data-color="${colorOf(p.id)}">${esc(p.name.charAt(0).toUpperCase())}</span>
      <div class="pmain">
        <div class="pname"><span class="name">${esc(p.name)}</span>${badges.join('')}</div>
        ${props ? `<div class="props" data-testid="props-${p.id}">${props}</div>` : ''}
      </div>
      ${s.phase === 'lobby' ? '<span class="muted small">ready</span>' : `<span class="cash" data-testid="cash-${p.id}">${money(p.cash)}</span>`}
    </li>`;
  }).join('');
  setHTML($('#players'), items);
  // Money moving: the cash flashes and the difference floats up for a moment.
  const last = app.lastCash || {};
  app.lastCash = {};
  for (const p of s.players) {
    app.lastCash[p.id] = p.cash;
    const before = last[p.id];
    if (s.phase !== 'playing' || before == null || before === p.cash) continue;
    const row = $(`#players [data-player="${p.id}"]`);
    if (!row) continue;
    const delta = document.createElement('span');
    delta.className = `delta ${p.cash > before ? 'delta-up' : 'delta-down'}`;
    delta.setAttribute('aria-hidden', 'true');
    delta.textContent = `${p.cash > before ? '+' : '−'}${money(Math.abs(p.cash - before))}`;
    row.appendChild(delta);
    row.querySelector('.cash')?.classList.add(p.cash > before ? 'flash-up' : 'flash-down');
    setTimeout(() => delta.remove(), 1600);
  }
}

/// Seconds left until an authority deadline (wall clock seconds), counted in the gateways' time
/// (`serverClock`), so a browser whose own clock is off still shows the true time left; capped at
/// the clock's length in case the measured offset is off too.
const secondsLeft = (deadline, seconds) => Math.min(seconds, Math.max(0, deadline - serverClock.now()));

/// Auction and turn clocks, counted down to the deadlines in the state: the same for every
/// player and spectator, whenever they joined or reconnected.
export function tickClocks() {
  const s = app.state;
  const auction = s?.auction;
  const seconds = s?.options?.auction_seconds;
  if (auction?.deadline && seconds) {
    const left = secondsLeft(auction.deadline, seconds);
    const timer = $('#auction-timer');
    if (timer) timer.textContent = `${Math.ceil(left)} s`;
    const bar = $('#auction-bar');
    if (bar) bar.style.width = `${(left / seconds) * 100}%`;
  }
  const clock = $('#turn-clock');
  const turnSeconds = s?.options?.turn_seconds;
  // No deadline: no clock, or it ran out and the authority plays the rest of the turn.
  if (!s || s.phase !== 'playing' || !turnSeconds || !s.current || !s.turn_deadline) {
    clock.hidden = true;
    return;
  }
  const left = secondsLeft(s.turn_deadline, turnSeconds);
  clock.hidden = false;
  clock.classList.toggle('urgent', left <= 10);
  const who = s.current === app.player ? 'Your turn' : `${nameOf(s.current)}'s turn`;
  clock.textContent = `${who} · ${Math.ceil(left)} s left`;
}

// One delegated handler for every command button in the side panel (main.js handles leaving).
document.addEventListener('click', async (e) => {
  const target = e.target.closest('[data-cmd], [data-bid-plus]');
  if (!target || target.disabled || target.closest('dialog')) return;
  if (target.dataset.bidPlus) {
    const a = app.state?.auction;
    if (a) await command('bid', { amount: a.high_bid + Number(target.dataset.bidPlus) });
    return;
  }
  const cmd = target.dataset.cmd;
  const args = target.dataset.args ? JSON.parse(target.dataset.args) : {};
  if (cmd === 'bankrupt') {
    const ok = await ask('Declare bankruptcy?', 'Everything you own goes to your creditor and you are out of the game.', 'Declare bankruptcy');
    if (!ok) return;
  }
  target.disabled = true;
  await command(cmd, args);
  target.disabled = false;
});

document.addEventListener('submit', async (e) => {
  if (!e.target.matches('.bid-form')) return;
  e.preventDefault();
  const amount = Number($('#bid-input').value);
  if (!Number.isInteger(amount) || amount <= 0) return;
  await command('bid', { amount });
});
