/// One HTTP header line, as the shell's HTTP parser produced it.
public struct HTTPHeaderField: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
