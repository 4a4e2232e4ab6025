import ArgumentParser
import Foundation
import Logging

/// swift-log setup shared by the subcommands: level from the flag, else $LOG_LEVEL, else info.
enum CLILogging {
    static func level(flag: String?) throws -> Logger.Level {
        let raw = flag ?? ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: raw.lowercased()) else {
            throw ValidationError("unknown log level '\(raw)' (trace, debug, info, notice, warning, error, critical)")
        }
        return level
    }

    static func bootstrap(label: String, flag: String?) throws -> Logger {
        let level = try level(flag: flag)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}
