// Static board data, served once by the gateway as /board.json (from Sources/Monopoly/Board.swift,
// revalidated by its ETag): the state carries only owners, houses and mortgages per square; names,
// prices, rents, house costs and mortgage values never change, so they live here.

export const GROUP_COLORS = {
  brown: '#8d5a3b',
  light_blue: '#8fd3f4',
  pink: '#d6439a',
  orange: '#f5962a',
  red: '#e5383b',
  yellow: '#f6d32d',
  green: '#23a55a',
  dark_blue: '#2a5bd7',
  railroad: '#3b3f4a',
  utility: '#9aa3b2',
};

export const GROUP_NAMES = {
  brown: 'Brown', light_blue: 'Light blue', pink: 'Pink', orange: 'Orange', red: 'Red',
  yellow: 'Yellow', green: 'Green', dark_blue: 'Dark blue', railroad: 'Railroads', utility: 'Utilities',
};

export const PLAYER_COLORS = ['#ef476f', '#118ab2', '#06d6a0', '#ffd166', '#9b5de5', '#f78c3b', '#00bbf9', '#8ac926'];

const board = await fetch(new URL('../board.json', import.meta.url)).then((response) => {
  if (!response.ok) throw new Error(`board.json: HTTP ${response.status}`);
  return response.json();
});

/// The 40 squares in board order: `{index, name, kind, group, price, rents, house, mortgage}`.
export const SQUARES = board.squares.map((square) => ({ ...square, house: square.house_cost }));

/// Short labels for the small squares of the board (the full name is in the tooltip and the card).
export function shortName(index) {
  const name = SQUARES[index].name;
  return name
    .replace('North Carolina', 'N. Carolina')
    .replace('Pennsylvania Railroad', 'Penn. Railroad')
    .replace('Pennsylvania Avenue', 'Pennsylvania Ave')
    .replace('Mediterranean Avenue', 'Mediterr. Ave')
    .replace('Connecticut Avenue', 'Conn. Ave')
    .replace(/ Avenue$/, ' Ave')
    .replace(/ Railroad$/, ' R.R.');
}

export const GROUP_MEMBERS = SQUARES.reduce((map, sq, index) => {
  if (sq.group) (map[sq.group] ||= []).push(index);
  return map;
}, {});

export const interest = (index) => Math.ceil(SQUARES[index].mortgage / 10);
export const unmortgageCost = (index) => SQUARES[index].mortgage + interest(index);
export const isOwnable = (index) => ['property', 'railroad', 'utility'].includes(SQUARES[index].kind);
/// Whether any lot of the square's color group has a house or hotel in state `s` (then none of the
/// group can be mortgaged).
export function groupHasBuildings(s, index) {
  const group = SQUARES[index].group;
  return !!group && GROUP_MEMBERS[group].some((k) => s.squares[k].houses > 0);
}

export const money = (n) => (n < 0 ? '-$' : '$') + Math.abs(n).toLocaleString('en-US');
