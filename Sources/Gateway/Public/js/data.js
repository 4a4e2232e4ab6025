// Static board data (mirrors Sources/Monopoly/Board.swift): the state carries owners, houses and
// mortgages; rents, house costs and mortgage values never change, so they live here.

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

const lot = (name, group, price, rents, house) => ({ name, kind: 'property', group, price, rents, house, mortgage: price / 2 });
const rr = (name) => ({ name, kind: 'railroad', group: 'railroad', price: 200, rents: [25, 50, 100, 200], house: 0, mortgage: 100 });
const util = (name) => ({ name, kind: 'utility', group: 'utility', price: 150, rents: [], house: 0, mortgage: 75 });
const special = (name, kind) => ({ name, kind, group: null, price: 0, rents: [], house: 0, mortgage: 0 });

export const SQUARES = [
  special('GO', 'go'),
  lot('Mediterranean Avenue', 'brown', 60, [2, 10, 30, 90, 160, 250], 50),
  special('Community Chest', 'community_chest'),
  lot('Baltic Avenue', 'brown', 60, [4, 20, 60, 180, 320, 450], 50),
  special('Income Tax', 'income_tax'),
  rr('Reading Railroad'),
  lot('Oriental Avenue', 'light_blue', 100, [6, 30, 90, 270, 400, 550], 50),
  special('Chance', 'chance'),
  lot('Vermont Avenue', 'light_blue', 100, [6, 30, 90, 270, 400, 550], 50),
  lot('Connecticut Avenue', 'light_blue', 120, [8, 40, 100, 300, 450, 600], 50),
  special('Jail', 'jail'),
  lot('St. Charles Place', 'pink', 140, [10, 50, 150, 450, 625, 750], 100),
  util('Electric Company'),
  lot('States Avenue', 'pink', 140, [10, 50, 150, 450, 625, 750], 100),
  lot('Virginia Avenue', 'pink', 160, [12, 60, 180, 500, 700, 900], 100),
  rr('Pennsylvania Railroad'),
  lot('St. James Place', 'orange', 180, [14, 70, 200, 550, 750, 950], 100),
  special('Community Chest', 'community_chest'),
  lot('Tennessee Avenue', 'orange', 180, [14, 70, 200, 550, 750, 950], 100),
  lot('New York Avenue', 'orange', 200, [16, 80, 220, 600, 800, 1000], 100),
  special('Free Parking', 'free_parking'),
  lot('Kentucky Avenue', 'red', 220, [18, 90, 250, 700, 875, 1050], 150),
  special('Chance', 'chance'),
  lot('Indiana Avenue', 'red', 220, [18, 90, 250, 700, 875, 1050], 150),
  lot('Illinois Avenue', 'red', 240, [20, 100, 300, 750, 925, 1100], 150),
  rr('B. & O. Railroad'),
  lot('Atlantic Avenue', 'yellow', 260, [22, 110, 330, 800, 975, 1150], 150),
  lot('Ventnor Avenue', 'yellow', 260, [22, 110, 330, 800, 975, 1150], 150),
  util('Water Works'),
  lot('Marvin Gardens', 'yellow', 280, [24, 120, 360, 850, 1025, 1200], 150),
  special('Go To Jail', 'go_to_jail'),
  lot('Pacific Avenue', 'green', 300, [26, 130, 390, 900, 1100, 1275], 200),
  lot('North Carolina Avenue', 'green', 300, [26, 130, 390, 900, 1100, 1275], 200),
  special('Community Chest', 'community_chest'),
  lot('Pennsylvania Avenue', 'green', 320, [28, 150, 450, 1000, 1200, 1400], 200),
  rr('Short Line'),
  special('Chance', 'chance'),
  lot('Park Place', 'dark_blue', 350, [35, 175, 500, 1100, 1300, 1500], 200),
  special('Luxury Tax', 'luxury_tax'),
  lot('Boardwalk', 'dark_blue', 400, [50, 200, 600, 1400, 1700, 2000], 200),
];

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

export const money = (n) => (n < 0 ? '-$' : '$') + Math.abs(n).toLocaleString('en-US');
