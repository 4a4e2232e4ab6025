// The board: 40 squares on an 11 x 11 grid, owners, buildings, mortgages, tokens and dice.
import { SQUARES, GROUP_COLORS, shortName, money } from './data.js';
import { esc } from './ui.js';

const ICONS = {
  chance: '<span class="icon-q" aria-hidden="true">?</span>',
  community_chest: '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><rect x="3" y="9" width="18" height="11" rx="2"/><path d="M3 12h18M10 12v3h4v-3" fill="none"/><path d="M5 9a7 5 0 0 1 14 0z"/></svg>',
  railroad: '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><rect x="6" y="3" width="12" height="13" rx="3"/><rect x="8.5" y="6" width="7" height="4" rx="1" class="cut"/><circle cx="9" cy="13" r="1.2" class="cut"/><circle cx="15" cy="13" r="1.2" class="cut"/><path d="M8 17l-3 4M16 17l3 4" stroke-width="2" fill="none"/></svg>',
  utility_12: '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 2a7 7 0 0 0-4 12.7V18h8v-3.3A7 7 0 0 0 12 2z"/><rect x="9" y="19" width="6" height="3" rx="1"/></svg>',
  utility_28: '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 2C9 7 6 10.5 6 14a6 6 0 0 0 12 0c0-3.5-3-7-6-12z"/></svg>',
  income_tax: '<span class="icon-t" aria-hidden="true">%</span>',
  luxury_tax: '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M6 3h12l4 6-10 12L2 9z"/></svg>',
};

export function cellOf(index) {
  if (index === 0) return { row: 11, col: 11, side: 'corner' };
  if (index < 10) return { row: 11, col: 11 - index, side: 'bottom' };
  if (index === 10) return { row: 11, col: 1, side: 'corner' };
  if (index < 20) return { row: 21 - index, col: 1, side: 'left' };
  if (index === 20) return { row: 1, col: 1, side: 'corner' };
  if (index < 30) return { row: 1, col: index - 19, side: 'top' };
  if (index === 30) return { row: 1, col: 11, side: 'corner' };
  return { row: index - 29, col: 11, side: 'right' };
}

function cornerHTML(index) {
  switch (index) {
    case 0: return '<span class="corner-big">GO</span><span class="corner-small">Collect $200 salary as you pass</span><span class="go-arrow" aria-hidden="true">&larr;</span>';
    case 10: return '<span class="jail-cell" aria-hidden="true"><span>IN</span><span>JAIL</span></span><span class="corner-small visiting">Just visiting</span>';
    case 20: return '<span class="corner-small">Free</span><span class="corner-big small">Parking</span><span id="jackpot" class="jackpot" data-testid="jackpot"></span>';
    default: return '<span class="corner-small">Go to</span><span class="corner-big small">Jail</span>';
  }
}

/// Builds the 40 squares once; `update` then only changes attributes and small parts.
export function buildBoard(board, onSquare) {
  const center = board.querySelector('.center');
  for (let index = 0; index < 40; index++) {
    const info = SQUARES[index];
    const { row, col, side } = cellOf(index);
    const el = document.createElement('button');
    el.type = 'button';
    el.className = `sq side-${side} kind-${info.kind}`;
    el.style.gridRow = String(row);
    el.style.gridColumn = String(col);
    el.dataset.index = String(index);
    el.dataset.testid = `square-${index}`;
    el.title = info.name;
    let inner = '';
    if (side === 'corner') {
      inner = `<span class="corner corner-${index}">${cornerHTML(index)}</span>`;
    } else {
      if (info.kind === 'property') {
        inner += `<span class="band" data-band="${GROUP_COLORS[info.group]}"><span class="buildings"></span></span>`;
      }
      const icon = ICONS[info.kind] || ICONS[`${info.kind}_${index}`] || '';
      inner += `<span class="sq-body"><span class="sq-name">${esc(shortName(index))}</span>${icon}`;
      if (info.price) inner += `<span class="sq-price">${money(info.price)}</span>`;
      else if (info.kind === 'income_tax') inner += '<span class="sq-price">Pay $200</span>';
      else if (info.kind === 'luxury_tax') inner += '<span class="sq-price">Pay $100</span>';
      inner += '</span><span class="owner-mark"></span>';
    }
    el.innerHTML = inner;
    el.addEventListener('click', () => onSquare(index));
    board.insertBefore(el, center);
  }
}

export function updateBoard(board, state, colorOf, nameOf) {
  for (const sq of state.squares) {
    const el = board.querySelector(`.sq[data-index="${sq.index}"]`);
    if (!el) continue;
    const owner = sq.owner || '';
    if (el.dataset.owner !== owner) {
      el.dataset.owner = owner;
      el.style.setProperty('--owner', owner ? colorOf(owner) : 'transparent');
    }
    el.classList.toggle('owned', !!owner);
    el.classList.toggle('mortgaged', !!sq.mortgaged);
    el.dataset.houses = String(sq.houses);
    el.dataset.mortgaged = String(!!sq.mortgaged);
    const buildings = el.querySelector('.buildings');
    if (buildings) {
      const html = sq.houses === 5 ? '<i class="hotel" title="Hotel"></i>' : '<i class="house"></i>'.repeat(sq.houses);
      if (buildings.innerHTML !== html) buildings.innerHTML = html;
    }
    const info = SQUARES[sq.index];
    let label = info.name;
    if (info.price) label += `, ${money(info.price)}`;
    if (owner) label += `, owned by ${nameOf(owner)}`;
    if (sq.houses === 5) label += ', hotel';
    else if (sq.houses > 0) label += `, ${sq.houses} house${sq.houses > 1 ? 's' : ''}`;
    if (sq.mortgaged) label += ', mortgaged';
    el.setAttribute('aria-label', label);
  }
  const jackpot = board.querySelector('#jackpot');
  if (jackpot) jackpot.textContent = state.options.free_parking_jackpot ? money(state.jackpot) : '';
  const current = state.current ? state.players.find((p) => p.id === state.current) : null;
  board.querySelectorAll('.sq.here').forEach((el) => el.classList.remove('here'));
  if (current && state.phase === 'playing') {
    board.querySelector(`.sq[data-index="${current.position}"]`)?.classList.add('here');
  }
}

const PIPS = {
  1: [5], 2: [1, 9], 3: [1, 5, 9], 4: [1, 3, 7, 9], 5: [1, 3, 5, 7, 9], 6: [1, 3, 4, 6, 7, 9],
};

export function diceHTML(dice, rolling) {
  if (!dice) return '<span class="die die-empty"></span><span class="die die-empty"></span>';
  return dice.map((value, i) => {
    const pips = Array.from({ length: 9 }, (_, k) => `<i class="${PIPS[value]?.includes(k + 1) ? 'pip' : ''}"></i>`).join('');
    return `<span class="die ${rolling ? 'rolling' : ''}" data-testid="die-${i}" data-value="${value}" role="img" aria-label="${value}">${pips}</span>`;
  }).join('') + `<span class="dice-total" data-testid="dice-total">${dice[0] + dice[1]}</span>`;
}

/// Player tokens on an overlay: each moves square by square to its new position (a short walk),
/// or jumps (jail, cards moving backwards) when the walk would be long.
export class Tokens {
  constructor(board, layer) {
    this.board = board;
    this.layer = layer;
    this.shown = new Map(); // player id -> displayed square
    this.walks = new Map(); // player id -> timer
    // A resize moves tokens at once (a transition would show them drifting across the board).
    new ResizeObserver(() => {
      this.layer.classList.add('instant');
      this.layout();
      requestAnimationFrame(() => requestAnimationFrame(() => this.layer.classList.remove('instant')));
    }).observe(board);
  }

  update(players, colorOf, jumped) {
    const ids = new Set(players.filter((p) => !p.bankrupt).map((p) => p.id));
    for (const el of Array.from(this.layer.children)) {
      if (!ids.has(el.dataset.player)) {
        el.remove();
        this.shown.delete(el.dataset.player);
      }
    }
    for (const p of players) {
      if (p.bankrupt) continue;
      let el = this.layer.querySelector(`[data-player="${p.id}"]`);
      if (!el) {
        el = document.createElement('span');
        el.className = 'token';
        el.dataset.player = p.id;
        el.dataset.testid = `token-${p.id}`;
        el.textContent = p.name.trim().charAt(0).toUpperCase();
        el.style.setProperty('--color', colorOf(p.id));
        this.layer.appendChild(el);
        this.shown.set(p.id, p.position);
      }
      el.title = p.name;
      el.classList.toggle('jailed', p.in_jail);
      el.dataset.position = String(p.position);
      const from = this.shown.get(p.id);
      if (from !== p.position) this.walk(p.id, from, p.position, jumped.has(p.id));
    }
    this.layout();
  }

  walk(id, from, to, jump) {
    clearInterval(this.walks.get(id));
    const steps = (to - from + 40) % 40;
    if (jump || steps > 12 || steps === 0) {
      this.shown.set(id, to);
      return;
    }
    let at = from;
    const timer = setInterval(() => {
      at = (at + 1) % 40;
      this.shown.set(id, at);
      this.layout();
      if (at === to) {
        clearInterval(timer);
        this.walks.delete(id);
      }
    }, 140);
    this.walks.set(id, timer);
  }

  layout() {
    // Tokens gather per spot: a square, or for square 10 the cell (in jail) or the visitors' edge.
    const spots = new Map();
    for (const el of this.layer.children) {
      const at = this.shown.get(el.dataset.player);
      const key = at === 10 && el.classList.contains('jailed') && !this.walks.has(el.dataset.player) ? 'jail' : String(at);
      if (!spots.has(key)) spots.set(key, []);
      spots.get(key).push(el);
    }
    const boardBox = this.board.getBoundingClientRect();
    for (const [key, tokens] of spots) {
      const index = key === 'jail' ? 10 : Number(key);
      const cell = this.board.querySelector(`.sq[data-index="${index}"]`);
      if (!cell) continue;
      const box = cell.getBoundingClientRect();
      const { side } = cellOf(index);
      const size = Math.max(12, Math.min(26, Math.min(box.width, box.height) * 0.42));
      // Where in the cell: away from the name, towards the outer edge.
      let fx = 0.5, fy = 0.5;
      if (side === 'bottom') fy = 0.66;
      else if (side === 'top') fy = 0.5;
      else if (side === 'left') fx = 0.36;
      else if (side === 'right') fx = 0.64;
      else if (key === 'jail') { fx = 0.55; fy = 0.36; }
      else if (index === 10) { fx = 0.5; fy = 0.8; }
      else { fy = 0.62; }
      const cx = box.left - boardBox.left + box.width * fx;
      const cy = box.top - boardBox.top + box.height * fy;
      const perRow = tokens.length > 4 ? 3 : 2;
      tokens.forEach((el, k) => {
        const n = tokens.length;
        const col = n === 1 ? 0 : (k % perRow) - (Math.min(n, perRow) - 1) / 2;
        const row = n <= perRow ? 0 : Math.floor(k / perRow) - (Math.ceil(n / perRow) - 1) / 2;
        el.style.setProperty('--size', `${size}px`);
        el.style.transform = `translate(${cx + col * size * 0.8 - size / 2}px, ${cy + row * size * 0.8 - size / 2}px)`;
      });
    }
  }
}
