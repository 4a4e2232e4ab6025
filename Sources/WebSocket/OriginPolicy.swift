/// Which web pages may open a WebSocket to us. A browser names the page that opens a WebSocket in
/// `Origin` and lets any page open one to any host, with the visitor's address (cross-site
/// WebSocket hijacking, RFC 6455 section 10.2). When origins are listed, only they are allowed:
/// matching `Host` is not enough, since a DNS-rebinding page (`evil.example` now resolving to us)
/// sends `Host` and `Origin` of its own name alike. With no list, a page from the host the request
/// is addressed to (`Host`) is allowed, which suits a gateway reached by address or on a private
/// name; one behind a public name should list its origins. A request without `Origin` is
/// not from a browser page and is let through: non-browser clients can send any header anyway.
/// `Origin: null` (sandboxed frames, `file:` pages, some redirects) names no host, so it is foreign.
public struct OriginPolicy: Sendable, Equatable {
    /// Listed origins, `scheme://host[:port]`, lower case.
    public private(set) var allowed: Set<String>

    /// - Parameter allowed: origins such as `https://monopoly.example` (compared case-insensitively,
    ///   a trailing slash ignored).
    public init(allowed: some Sequence<String> = [String]()) {
        self.allowed = Set(allowed.map(Self.normalized))
    }

    public func allows(origin: String?, host: String?) -> Bool {
        guard let origin else { return true }
        let normalized = Self.normalized(origin)
        guard allowed.isEmpty else { return allowed.contains(normalized) }
        guard let host, let (scheme, authority) = Self.schemeAndAuthority(ofOrigin: normalized) else { return false }
        return authority == Self.withoutDefaultPort(Self.normalized(host), scheme: scheme)
    }

    /// Whether `text` is an origin a browser could send (`http(s)://host[:port]`, nothing after).
    public static func isValidOrigin(_ text: String) -> Bool {
        schemeAndAuthority(ofOrigin: normalized(text)) != nil
    }

    /// The scheme and `host[:port]` of an http or https origin, without the scheme's default port;
    /// nil for `null`, other schemes, user info, paths, queries or an empty host.
    private static func schemeAndAuthority(ofOrigin origin: String) -> (String, String)? {
        for scheme in ["http", "https"] {
            let prefix = scheme + "://"
            guard origin.hasPrefix(prefix) else { continue }
            let rest = String(origin.dropFirst(prefix.count))
            guard !rest.isEmpty, !rest.contains(where: { "/?#@\\ ".contains($0) }) else { return nil }
            return (scheme, withoutDefaultPort(rest, scheme: scheme))
        }
        return nil
    }

    private static func withoutDefaultPort(_ authority: String, scheme: String) -> String {
        let defaultPort = scheme == "https" ? ":443" : ":80"
        return authority.hasSuffix(defaultPort) ? String(authority.dropLast(defaultPort.count)) : authority
    }

    private static func normalized(_ text: String) -> String {
        var text = OpeningHandshake.trimmed(text).lowercased()
        if text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
