// MonopolyRelay browser client: lobby, game view, reconnect. No build step: plain ES modules.
import { app, command, colorOf, nameOf, saveSeat } from './app.js';
import { Connection } from './net.js';
import { $, esc, toast, ask, setHTML } from './ui.js';
import { SQUARES, money } from './data.js';
import { buildBoard, updateBoard, diceHTML, Tokens } from './board.js';
import { renderActions, renderPlayers, renderTrades, renderAuction, tickClocks } from './game.js';
import { openSquare, refreshSquare, openTrade } from './dialogs.js';
import { watchStyleData } from './style-data.js';
import { showResults, reopenResults } from './results.js';
import { epochOf, succession } from './version.js';

const NAME_KEY = 'monopolyrelay.name';

const inviteCode = () => (new URLSearchParams(location.search).get('game') || '').trim().toUpperCase();
const shareLink = (game) => `${location.origin}/?game=${encodeURIComponent(game)}`;

// MARK: - Connection

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  app.conn = new Connection({
    url: `${scheme}//${location.host}/ws`,
    onMessage: handleMessage,
    onOpen: resume,
    onStatus: (status) => {
      const el = $('#connection-status');
      el.dataset.status = status;
      el.textContent = status === 'open' ? 'online' : status;
      $('#reconnect-banner').hidden = status !== 'reconnecting';
    },
  });
}

/// After every (re)connect: take the seat back, watch again, or show the lobby.
async function resume() {
  const invite = inviteCode();
  if (app.seat && invite && invite !== app.seat.game && app.view !== 'game') {
    // An invitation to another game: offer it, and the way back to the seat we hold.
    enterLobby();
  } else if (app.seat) {
    const seat = app.seat;
    try {
      const welcome = await app.conn.request('rejoin', { game: seat.game, token: seat.token });
      enterGame(welcome.game, welcome.player);
    } catch (error) {
      if (error.code === 'disconnected') return;
      if (error.code === 'authority_unavailable' || error.code === 'redis_unavailable') {
        toast('The game server is busy; retrying…', 'info');
        setTimeout(() => app.conn.isOpen && resume(), 2000);
        return;
      }
      saveSeat(null);
      toast(`Your seat in game ${seat.game} is no longer available.`, 'info');
      enterLobby();
    }
  } else if (app.watching) {
    watch(app.watching);
  } else {
    enterLobby();
  }
}

function handleMessage(message) {
  switch (message.type) {
    case 'lobby':
      app.games = message.games || [];
      if (app.view === 'lobby') renderLobby();
      break;
    case 'state':
      if (message.game === app.game) applyState(message);
      break;
    case 'chat':
      if (message.game === app.game) addChat(message);
      break;
    case 'error':
      if (message.re == null) {
        if (message.code === 'seat_taken') {
          // Another tab or device took this seat: it is theirs now; show the lobby here.
          toast('Your seat was taken over by another window.', 'info');
          app.seat = null;
          history.replaceState(null, '', '/');
          enterLobby();
        } else {
          toast(message.message || message.code);
        }
      }
      break;
    default:
      break;
  }
}

// MARK: - Lobby

function enterLobby() {
  app.view = 'lobby';
  app.game = null;
  app.player = null;
  app.state = null;
  app.watching = null;
  app.seq = 0;
  app.epoch = 0;
  $('#lobby-view').hidden = false;
  $('#game-view').hidden = true;
  $('#game-code-box').hidden = true;
  document.title = 'MonopolyRelay';
  const code = inviteCode();
  $('#invite-box').hidden = !code;
  $('#invite-code').textContent = code;
  if (code) $('#join-code-input').value = code;
  const other = app.seat && app.seat.game !== code ? app.seat.game : null;
  $('#resume-box').hidden = !other;
  $('#resume-code').textContent = other || '';
  // A request (not a plain send): its answer's round trip makes it a sample for the server clock.
  app.conn.request('lobby').catch(() => {});
  renderLobby();
}

/// Games waiting for players (join or watch) first, then running ones (watch only).
function renderLobby() {
  const list = $('#games-list');
  const open = app.games.filter((g) => g.phase === 'lobby');
  const running = app.games.filter((g) => g.phase === 'playing');
  $('#games-empty').hidden = open.length + running.length > 0;
  setHTML(list, [...open, ...running].map((g) => {
    const playing = g.phase === 'playing';
    const who = playing ? (g.names || []).join(', ') : `${g.host ?? ''}'s game`;
    const join = playing
      ? '<span></span>'
      : `<button class="btn btn-primary btn-small" type="button" data-join="${esc(g.game)}" data-testid="join-${esc(g.game)}" ${g.players >= g.max_players ? 'disabled' : ''}>Join</button>`;
    return `<li class="game-row" data-game="${esc(g.game)}" data-phase="${esc(g.phase)}" data-testid="game-${esc(g.game)}">
      <span class="game-code">${esc(g.game)}</span>
      <span class="game-host">${esc(who)}${playing ? ' <span class="tag">playing</span>' : ''}</span>
      <span class="game-count" aria-label="${g.players} of ${g.max_players} players">${g.players}/${g.max_players}</span>
      ${join}
      <button class="btn btn-small" type="button" data-watch="${esc(g.game)}" data-testid="watch-${esc(g.game)}">Watch</button>
    </li>`;
  }).join(''));
}

function playerName() {
  const input = $('#name-input');
  const name = input.value.trim();
  if (!name) {
    toast('Enter your name first.', 'info');
    input.focus();
    return null;
  }
  localStorage.setItem(NAME_KEY, name);
  return name;
}

function readOptions() {
  const turnSeconds = $('#opt-turn-seconds').value;
  const turnLimit = $('#opt-turn-limit').value;
  return {
    starting_cash: Number($('#opt-starting-cash').value) || 1500,
    max_players: Number($('#opt-max-players').value),
    turn_seconds: turnSeconds ? Number(turnSeconds) : null,
    auction_seconds: Number($('#opt-auction-seconds').value),
    turn_limit: turnLimit ? Number(turnLimit) : null,
    auctions: $('#opt-auctions').checked,
    even_build: $('#opt-even-build').checked,
    free_parking_jackpot: $('#opt-free-parking').checked,
    double_salary_on_go: $('#opt-double-go').checked,
    no_rent_in_jail: $('#opt-no-rent-jail').checked,
  };
}

async function seatRequest(type, fields) {
  if (app.joining) return;
  app.joining = true;
  try {
    const welcome = await app.conn.request(type, fields);
    saveSeat({ game: welcome.game, player: welcome.player, token: welcome.token });
    enterGame(welcome.game, welcome.player);
  } catch (error) {
    toast(error.message || `${type} failed`);
  } finally {
    app.joining = false;
  }
}

function create() {
  const name = playerName();
  if (name) seatRequest('create', { name, options: readOptions() });
}

function join(game) {
  const name = playerName();
  game = (game || '').trim().toUpperCase();
  if (!game) return toast('Enter a game code.', 'info');
  if (name) seatRequest('join', { game, name });
}

async function watch(game) {
  game = (game || '').trim().toUpperCase();
  if (!game) return toast('Enter a game code.', 'info');
  try {
    const welcome = await app.conn.request('spectate', { game });
    app.watching = welcome.game;
    enterGame(welcome.game, null);
  } catch (error) {
    app.watching = null;
    if (error.code !== 'disconnected') toast(error.message || 'Cannot watch that game');
    if (app.view !== 'lobby') enterLobby();
  }
}

// MARK: - Game

function enterGame(game, player) {
  if (app.game !== game) {
    app.seq = 0;
    app.epoch = 0;
    app.state = null;
    $('#log').innerHTML = '';
    $('#chat-list').innerHTML = '';
  }
  app.view = 'game';
  app.game = game;
  app.player = player;
  $('#lobby-view').hidden = true;
  $('#game-view').hidden = false;
  $('#game-code-box').hidden = false;
  $('#game-code').textContent = game;
  $('#share-link').value = shareLink(game);
  document.title = `Game ${game} · MonopolyRelay`;
  const url = `/?game=${encodeURIComponent(game)}`;
  if (location.pathname + location.search !== url) history.replaceState(null, '', url);
  requestAnimationFrame(() => app.tokens.layout());
  if (app.state) render();
}

function applyState(message) {
  const step = succession(message, app.state ? { epoch: app.epoch, seq: app.seq } : null);
  if (step === 'stale' || step === 'refused') return;
  // A new epoch replaces the whole state: nothing is compared with the one held (its seq may be
  // higher: the game went back to what Redis kept). The patch chain restarted with this whole state.
  const previous = step === 'epoch' ? null : app.state;
  app.seq = message.seq;
  app.epoch = epochOf(message);
  app.state = message.state;
  const jumped = new Set();
  for (const event of message.events || []) {
    addLog(event.text, event.type);
    // Jail is a jump, not a walk around the board.
    if (event.type === 'went_to_jail' && event.player) jumped.add(event.player);
    if (event.type === 'card_drawn' && event.detail) showCard(event);
    if (event.type === 'trade_proposed' && event.other === app.player && previous) toast(`${nameOf(event.player)} offers you a trade.`, 'info', 3000);
  }
  const last = (message.events || []).at(-1);
  if (last) $('#last-event').textContent = last.text;
  const rolled = (message.events || []).some((e) => e.type === 'rolled');
  render(previous, rolled, jumped);
}

/// The card just drawn, shown on the board for a few seconds.
function showCard(event) {
  const flash = $('#card-flash');
  const deck = SQUARES[event.square]?.kind === 'chance' ? 'chance' : 'community_chest';
  flash.className = `card-flash ${deck}`;
  flash.innerHTML = `<b>${deck === 'chance' ? 'Chance' : 'Community Chest'} · ${esc(nameOf(event.player))}</b>${esc(event.detail)}`;
  flash.hidden = false;
  clearTimeout(showCard.timer);
  showCard.timer = setTimeout(() => { flash.hidden = true; }, 5000);
}

function render(previous = null, rolled = false, jumped = new Set()) {
  const s = app.state;
  if (!s) return;
  const board = $('#board');
  updateBoard(board, s, colorOf, nameOf);
  app.tokens.update(s.players, colorOf, jumped);
  const dice = $('#dice');
  dice.hidden = s.phase === 'lobby';
  dice.innerHTML = diceHTML(s.dice, rolled);
  renderTurn(s);
  $('#bank-stock').textContent = s.phase === 'playing'
    ? `Bank: ${s.bank.houses} house${s.bank.houses === 1 ? '' : 's'} · ${s.bank.hotels} hotel${s.bank.hotels === 1 ? '' : 's'}${s.options.free_parking_jackpot ? ` · jackpot ${money(s.jackpot)}` : ''}`
    : '';
  renderWaitingRoom(s);
  renderActions(s, previous);
  renderAuction(s);
  renderTrades(s);
  renderPlayers(s);
  showResults(app.game, s, { nameOf, colorOf });
  refreshSquare();
  tickClocks();
}

// Why a game ended (`end_reason`); the authority closes games nobody attends, without a winner.
const END_REASONS = {
  turn_limit: 'richest when the turn limit was reached',
  abandoned: 'abandoned: no player was connected',
  lobby_idle: 'closed: nobody was connected',
  lobby_empty: 'closed: every player left',
};

function renderTurn(s) {
  const el = $('#turn-indicator');
  const waitingOnMe = s.phase === 'playing' && app.player && s.awaiting.includes(app.player);
  document.title = `${waitingOnMe ? '● Your move · ' : ''}Game ${app.game} · MonopolyRelay`;
  if (s.phase === 'lobby') {
    el.innerHTML = `<span class="muted">Waiting room</span><strong>${s.players.length} / ${s.options.max_players} players</strong>`;
  } else if (s.phase === 'finished') {
    const reason = END_REASONS[s.end_reason] || 'last player standing';
    el.innerHTML = `<span class="muted">Game over</span><strong data-testid="winner">${esc(s.winner ? nameOf(s.winner) : 'Nobody')} wins</strong><span class="muted small">${reason}</span>`;
  } else {
    const mine = s.current === app.player;
    el.innerHTML = `<span class="muted">Turn ${s.turn_number}</span>
      <strong><i class="dot" data-color="${colorOf(s.current)}"></i>${mine ? 'Your turn' : `${esc(nameOf(s.current))}'s turn`}</strong>`;
  }
}

function renderWaitingRoom(s) {
  const room = $('#waiting-room');
  room.hidden = s.phase !== 'lobby';
  $('#action-card').hidden = s.phase === 'lobby';
  if (s.phase !== 'lobby') return;
  const host = s.host === app.player;
  const enough = s.players.length >= 2;
  $('#start-button').hidden = !host;
  $('#start-button').disabled = !enough;
  $('#add-bot-button').hidden = !host;
  $('#add-bot-button').disabled = s.players.length >= s.options.max_players;
  $('#leave-lobby-button').textContent = app.player ? 'Leave' : 'Stop watching';
  const o = s.options;
  const rules = [`Starting cash ${money(o.starting_cash)}`, `Up to ${o.max_players} players`,
    o.turn_seconds ? `Turn clock ${o.turn_seconds} s` : 'No turn clock',
    o.auctions ? `Auctions (${o.auction_seconds ?? '∞'} s)` : 'No auctions', o.even_build ? 'Build evenly' : 'Build freely'];
  if (o.free_parking_jackpot) rules.push('Free Parking jackpot');
  if (o.double_salary_on_go) rules.push('$400 on GO');
  if (o.no_rent_in_jail) rules.push('No rent in jail');
  if (o.turn_limit) rules.push(`Ends after ${o.turn_limit} turns`);
  setHTML($('#rules-summary'), rules.map((r) => `<li>${esc(r)}</li>`).join(''));
  $('#waiting-note').textContent = !app.player
    ? 'You are watching this game.'
    : host
      ? (enough ? 'Everyone in? Start when ready.' : 'Share the link: at least 2 players are needed to start.')
      : `Waiting for ${nameOf(s.host)} to start the game.`;
}

// MARK: - Log and chat

function addLog(text, type = '') {
  const log = $('#log');
  const item = document.createElement('li');
  item.textContent = text;
  if (type) item.dataset.type = type;
  log.appendChild(item);
  while (log.children.length > 300) log.firstElementChild.remove();
  log.scrollTop = log.scrollHeight;
}

function addChat(message) {
  const list = $('#chat-list');
  const item = document.createElement('li');
  item.innerHTML = `<b class="chat-name" data-color="${colorOf(message.player)}">${esc(message.name)}</b> ${esc(message.text)}`;
  list.appendChild(item);
  while (list.children.length > 200) list.firstElementChild.remove();
  list.scrollTop = list.scrollHeight;
  if ($('#chat-panel').hidden) {
    app.unread += 1;
    $('#chat-unread').hidden = false;
    $('#chat-unread').textContent = String(app.unread);
  }
}

function selectTab(which) {
  const chat = which === 'chat';
  $('#tab-log').setAttribute('aria-selected', String(!chat));
  $('#tab-chat').setAttribute('aria-selected', String(chat));
  $('#log').hidden = chat;
  $('#chat-panel').hidden = !chat;
  if (chat) {
    app.unread = 0;
    $('#chat-unread').hidden = true;
    $('#chat-input').focus();
  }
}

// MARK: - Leaving

async function leaveGame() {
  const s = app.state;
  const home = () => history.replaceState(null, '', '/');
  if (!app.player) {
    await app.conn.request('leave').catch(() => {});
    app.watching = null;
    home();
    return enterLobby();
  }
  if (s && s.phase === 'finished') {
    // A finished game has no seat to give back: start afresh on a new connection.
    saveSeat(null);
    home();
    app.conn.drop();
    app.game = null;
    return;
  }
  if (s && s.phase === 'playing') {
    const ok = await ask('Resign?', 'Everything you own goes back to the bank and you are out of the game.', 'Resign');
    if (!ok) return;
  }
  const answer = await command('leave');
  if (answer) {
    saveSeat(null);
    home();
    enterLobby();
  }
}

// MARK: - Wiring

async function copyLink() {
  const link = shareLink(app.game);
  try {
    await navigator.clipboard.writeText(link);
    toast('Invite link copied.', 'ok', 2000);
  } catch {
    const input = $('#share-link');
    input.focus();
    input.select();
    toast('Select and copy the link.', 'info', 2500);
  }
}

function wire() {
  $('#name-input').value = localStorage.getItem(NAME_KEY) || '';
  $('#name-input').addEventListener('input', (e) => localStorage.setItem(NAME_KEY, e.target.value.trim()));
  $('#create-form').addEventListener('submit', (e) => { e.preventDefault(); create(); });
  $('#code-form').addEventListener('submit', (e) => { e.preventDefault(); join($('#join-code-input').value); });
  $('#watch-code-button').addEventListener('click', () => watch($('#join-code-input').value));
  $('#invite-join-button').addEventListener('click', () => join(inviteCode()));
  $('#invite-watch-button').addEventListener('click', () => watch(inviteCode()));
  $('#games-list').addEventListener('click', (e) => {
    const button = e.target.closest('button');
    if (!button) return;
    if (button.dataset.join) join(button.dataset.join);
    if (button.dataset.watch) watch(button.dataset.watch);
  });
  $('#copy-link-button').addEventListener('click', copyLink);
  $('#resume-button').addEventListener('click', () => {
    history.replaceState(null, '', `/?game=${encodeURIComponent(app.seat.game)}`);
    resume();
  });
  $('#share-copy-button').addEventListener('click', copyLink);
  $('#start-button').addEventListener('click', () => command('start'));
  $('#add-bot-button').addEventListener('click', () => command('add_bot'));
  $('#results-button').addEventListener('click', reopenResults);
  $('#leave-lobby-button').addEventListener('click', leaveGame);
  $('#tab-log').addEventListener('click', () => selectTab('log'));
  $('#tab-chat').addEventListener('click', () => selectTab('chat'));
  $('#chat-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = $('#chat-input');
    const text = input.value.trim();
    if (!text) return;
    if (!app.player) return toast('Spectators cannot chat.', 'info');
    input.value = '';
    await command('chat', { text });
  });
  buildBoard($('#board'), (index) => openSquare(index));
  app.tokens = new Tokens($('#board'), $('#tokens'));
  setInterval(tickClocks, 250);
  document.addEventListener('click', (e) => {
    const open = e.target.closest('[data-square]');
    if (open) openSquare(Number(open.dataset.square));
    if (e.target.closest('[data-open-trade]')) openTrade(e.target.closest('[data-open-trade]').dataset.openTrade || null);
    // The side panel's back-to-lobby, stop-watching and resign buttons (rendered by game.js).
    const leave = e.target.closest('[data-action="leave"]');
    if (leave && !leave.disabled && !leave.closest('dialog')) leaveGame();
  });
}

watchStyleData(document.body);
wire();
connect();
if (!app.seat || (inviteCode() && inviteCode() !== app.seat.game)) enterLobby(); // at once; the list fills in when the connection opens
