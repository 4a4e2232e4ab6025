/// Who a gateway process is. `name` is what the operator set (`GATEWAY_ID`) or one made up
/// (`gw-HOST-PID-RANDOM`): it names the heartbeat key, so two live gateways never share one.
/// `instance` is the name plus a random suffix drawn at every start (`gw1.3fa9c2d1`): it names the
/// reply channel, prefixes command ids and is what the authority's seat bindings hold, so a
/// restarted gateway (same name, connection and command numbers starting at 1 again) never
/// matches what its predecessor left behind.
public struct GatewayIdentity: Sendable, Equatable {
    public let name: String
    public let instance: String

    /// Separates the name from the boot suffix; never part of a name (see `isValidName`).
    static let separator: Character = "."

    public init(name: String, boot: String) {
        self.name = name
        self.instance = "\(name)\(Self.separator)\(boot)"
    }

    /// The identity an instance id stands for (its name is the part before the boot suffix).
    public init(instance: String) {
        self.name = Self.name(ofInstance: instance)
        self.instance = instance
    }

    /// This boot's identity: `configured` when set, else a name from the host name and pid; a
    /// random boot suffix either way.
    public static func forThisBoot(configured: String?, hostName: String, pid: Int32) -> GatewayIdentity {
        var generator = SystemRandomNumberGenerator()
        return GatewayIdentity(name: configured ?? generatedName(hostName: hostName, pid: pid, random: generator.next()),
                               boot: hex(generator.next(), digits: 8))
    }

    /// `gw-HOST-PID-RANDOM`: the host name reduced to the characters a name may hold (a dotted
    /// host name `web1.example.com` gives `web1-example-com`) and cut so the whole fits
    /// `maximumNameLength` (envelope fields are refused past 128 bytes).
    public static func generatedName(hostName: String, pid: Int32, random: UInt64) -> String {
        let tail = "-\(pid)-\(hex(random, digits: 4))"
        let room = maximumNameLength - "gw-".count - tail.count
        let host = String(hostName.map { isNameCharacter($0) && $0.isASCII ? $0 : "-" }.prefix(max(0, room)))
        return "gw-\(host.isEmpty ? "host" : host)\(tail)"
    }

    /// The name an instance id belongs to (what names its heartbeat key): everything before the
    /// boot suffix. An id without one (a gateway from before instances) is its own name.
    public static func name(ofInstance instance: String) -> String {
        instance.firstIndex(of: separator).map { String(instance[..<$0]) } ?? instance
    }

    /// Letters, digits, `-` and `_`, at most `maximumNameLength` bytes.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maximumNameLength && name.allSatisfy(isNameCharacter)
    }

    /// With the boot suffix and a command number (`NAME.BOOT-N`), ids stay far below the
    /// authority's 128-byte bound on envelope fields.
    public static let maximumNameLength = 64

    private static func isNameCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || character == "-" || character == "_"
    }

    private static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String((String(repeating: "0", count: max(0, digits - text.count)) + text).suffix(digits))
    }
}
