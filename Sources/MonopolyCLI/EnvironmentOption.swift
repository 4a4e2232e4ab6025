import ArgumentParser
import Foundation

/// Options that fall back to environment variables (containers are configured that way, see
/// deploy/docker-compose.yml): the flag wins, then the variable, then the default.
/// `check` turns an unreadable variable into a usage error instead of silently using the default.
enum EnvironmentOption {
    static func value<T: LosslessStringConvertible>(_ flag: T?, _ variable: String, default fallback: T) -> T {
        flag ?? environment(variable).flatMap(T.init) ?? fallback
    }

    static func value(_ flag: String?, _ variable: String) -> String? {
        flag ?? environment(variable)
    }

    /// Throws when `variable` is set but is not a `T`.
    static func check<T: LosslessStringConvertible>(_ variable: String, as type: T.Type) throws {
        if let raw = environment(variable), T(raw) == nil {
            throw ValidationError("$\(variable)=\(raw) is not a valid \(T.self)")
        }
    }

    private static func environment(_ variable: String) -> String? {
        guard let raw = ProcessInfo.processInfo.environment[variable]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else {
            return nil
        }
        return raw
    }
}
