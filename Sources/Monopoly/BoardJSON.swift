/// The board's static data as one JSON document, served once by every gateway as `/board.json`
/// (cached by its ETag): states carry only what changes per square (owner, houses, mortgaged).

extension SquareInfo: JSONWritable {
    public func writeJSON(to out: inout JSONOutput) {
        out.object { o in
            o.field("group", group)
            o.field("house_cost", houseCost)
            o.field("index", index)
            o.field("kind", kind)
            o.field("mortgage", mortgage)
            o.field("name", name)
            o.field("price", price)
            o.field("rents", rents)
        }
    }
}

extension Board {
    /// `{"squares": [{group, house_cost, index, kind, mortgage, name, price, rents}, ...], ...}`
    /// with the board's constants: the same bytes as `JSONEncoder` with sorted keys.
    public static let json: String = JSONOutput.encode(StaticBoard())

    struct StaticBoard: JSONWritable, Encodable {
        func writeJSON(to out: inout JSONOutput) {
            out.object { o in
                o.field("income_tax", Board.incomeTax)
                o.field("jail_fine", Board.jailFine)
                o.field("luxury_tax", Board.luxuryTax)
                o.field("salary", Board.salary)
                o.field("squares", Board.squares)
                o.field("total_hotels", Board.totalHotels)
                o.field("total_houses", Board.totalHouses)
            }
        }

        enum CodingKeys: String, CodingKey {
            case incomeTax = "income_tax", jailFine = "jail_fine", luxuryTax = "luxury_tax", salary, squares
            case totalHotels = "total_hotels", totalHouses = "total_houses"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(Board.incomeTax, forKey: .incomeTax)
            try c.encode(Board.jailFine, forKey: .jailFine)
            try c.encode(Board.luxuryTax, forKey: .luxuryTax)
            try c.encode(Board.salary, forKey: .salary)
            try c.encode(Board.squares, forKey: .squares)
            try c.encode(Board.totalHotels, forKey: .totalHotels)
            try c.encode(Board.totalHouses, forKey: .totalHouses)
        }
    }
}
