import Foundation

/// The first executable called `name` in `$PATH`, then in the usual system folders (a service
/// manager's or a test runner's `PATH` can be short).
public func findOnPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for directory in path.split(separator: ":") + ["/usr/local/bin", "/usr/bin", "/usr/sbin"] {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}
