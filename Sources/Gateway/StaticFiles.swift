import Crypto
import Foundation
import NIOCore

/// The browser client's files, read once at startup from the target's `Public` resources (or a
/// directory given in the configuration) and served from memory. Requests are looked up by exact,
/// normalised path in that table, so nothing outside the directory can ever be reached.
public struct StaticFiles: Sendable {
    struct File: Sendable {
        var body: ByteBuffer
        var contentType: String
        var etag: String
        var cacheControl: String
    }

    private var files: [String: File] = [:]

    public var paths: [String] { files.keys.sorted() }

    /// The files bundled with the Gateway target (`Sources/Gateway/Public`).
    public static func bundled() -> StaticFiles {
        guard let url = Bundle.module.url(forResource: "Public", withExtension: nil) else { return StaticFiles() }
        return (try? StaticFiles(directory: url)) ?? StaticFiles()
    }

    public init() {}

    public init(directory: URL) throws {
        let root = directory.standardizedFileURL.resolvingSymlinksInPath()
        let rootPath = root.path.hasSuffix("/") ? root.path : root.path + "/"
        guard let enumerator = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]
        ) else { return }
        for case let url as URL in enumerator {
            let resolved = url.standardizedFileURL.resolvingSymlinksInPath()
            guard (try? resolved.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                  resolved.path.hasPrefix(rootPath)
            else { continue }
            let relative = "/" + resolved.path.dropFirst(rootPath.count)
            let data = try Data(contentsOf: resolved)
            add(path: relative, contents: Array(data))
        }
    }

    /// Adds (or replaces) one file, e.g. generated content.
    public mutating func add(path: String, contents: [UInt8], contentType: String? = nil) {
        let digest = SHA256.hash(data: contents)
        let etag = "\"" + digest.prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
        files[path] = File(
            body: ByteBuffer(bytes: contents),
            contentType: contentType ?? Self.contentType(forPath: path),
            etag: etag,
            // Every file is revalidated at each load (a 304 by the ETag when unchanged): the URLs
            // carry no version, so a cached module or board.json would outlive a deploy and mix
            // with the new page's files.
            cacheControl: "no-cache"
        )
    }

    /// The file for a request target (path plus optional query), or nil.
    func lookup(target: String) -> File? {
        guard let path = Self.normalise(target: target) else { return nil }
        if let file = files[path] { return file }
        if path.hasSuffix("/") { return files[path + "index.html"] }
        return nil
    }

    /// Decodes percent-escapes and rejects anything that is not a plain absolute path: `..` or `.`
    /// segments, backslashes, NUL, empty segments.
    static func normalise(target: String) -> String? {
        var raw = Substring(target)
        if let query = raw.firstIndex(where: { $0 == "?" || $0 == "#" }) { raw = raw[..<query] }
        guard raw.hasPrefix("/"), let decoded = String(raw).removingPercentEncoding else { return nil }
        if decoded.contains("\\") || decoded.contains("\0") { return nil }
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (index, segment) in segments.enumerated() {
            if segment == ".." || segment == "." { return nil }
            if segment.isEmpty && index != segments.count - 1 { return nil }
        }
        return decoded
    }

    static func contentType(forPath path: String) -> String {
        let ext = path.split(separator: ".").last.map { $0.lowercased() } ?? ""
        switch ext {
        case "html", "htm": return "text/html; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "json", "map": return "application/json"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "gif": return "image/gif"
        case "webp": return "image/webp"
        case "ico": return "image/x-icon"
        case "woff2": return "font/woff2"
        case "woff": return "font/woff"
        case "txt": return "text/plain; charset=utf-8"
        case "wasm": return "application/wasm"
        case "webmanifest": return "application/manifest+json"
        default: return "application/octet-stream"
        }
    }
}
