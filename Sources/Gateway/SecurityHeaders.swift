import NIOHTTP1

/// Headers on every HTTP response, for the browser client's sake: a Content-Security-Policy that
/// runs only our own files (no inline script or style, no eval, no plugins), lets the page talk
/// only to its own origin over WebSocket, and forbids framing (clickjacking of Resign or Bankrupt);
/// plus the older framing, referrer and MIME-sniffing switches.
enum SecurityHeaders {
    /// `'self'` covers the page's own `ws:`/`wss:` in CSP level 3 (current Chromium, Firefox,
    /// Safari); older browsers need them named, so they are, from the request's `Host` once it is
    /// a plain `host[:port]` (anything else could smuggle directives in and gets `'self'` alone).
    static func contentSecurityPolicy(host: String?) -> String {
        let webSockets = host.flatMap(plainHost).map { " ws://\($0) wss://\($0)" } ?? ""
        return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'\(webSockets); object-src 'none'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'"
    }

    static func add(to headers: inout HTTPHeaders, host: String?) {
        headers.replaceOrAdd(name: "content-security-policy", value: contentSecurityPolicy(host: host))
        headers.replaceOrAdd(name: "x-frame-options", value: "DENY")
        headers.replaceOrAdd(name: "referrer-policy", value: "no-referrer")
        headers.replaceOrAdd(name: "x-content-type-options", value: "nosniff")
    }

    /// `name[:port]` or `[IPv6][:port]`, lower-cased; nil for anything else.
    static func plainHost(_ host: String) -> String? {
        let host = host.lowercased()
        guard (1...261).contains(host.utf8.count) else { return nil }
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]"),
                  IPAddress(host[host.index(after: host.startIndex)..<close]) != nil else { return nil }
            let rest = host[host.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { return nil }
                port = rest.dropFirst()
            }
        } else {
            let parts = host.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0]
            port = parts.count == 2 ? parts[1] : nil
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-")
                || (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) }) else { return nil }
        }
        if let port {
            guard (1...5).contains(port.count), port.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        }
        return host
    }
}
