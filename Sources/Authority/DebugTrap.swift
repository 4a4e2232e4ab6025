import Foundation

/// Debug builds only (the tests' binary; release builds, the image's, have none of it):
/// `MONOPOLY_DEBUG_TRAP=TYPE` in the authority's environment makes it trap when it is about to
/// apply a command of that type, so the tests crash a real process mid-command (poison games);
/// `MONOPOLY_DEBUG_STALL=TYPE=MILLISECONDS` holds a command of that type in flight (marked, not yet
/// applied) that long, so that a test can make another game's crash overlap it.
enum DebugTrap {
    #if DEBUG
    static let type = ProcessInfo.processInfo.environment["MONOPOLY_DEBUG_TRAP"]
    static let stalled: (type: Substring, milliseconds: Int)? = {
        guard let setting = ProcessInfo.processInfo.environment["MONOPOLY_DEBUG_STALL"],
              let equals = setting.lastIndex(of: "="),
              let milliseconds = Int(setting[setting.index(after: equals)...]), (0...60_000).contains(milliseconds) else { return nil }
        return (setting[..<equals], milliseconds)
    }()
    #endif

    static func check(_ commandType: String) {
        #if DEBUG
        if let type, type == commandType { fatalError("MONOPOLY_DEBUG_TRAP: trapping on \(commandType)") }
        #endif
    }

    static func stall(_ commandType: String) async {
        #if DEBUG
        if let stalled, stalled.type == commandType { try? await Task.sleep(for: .milliseconds(stalled.milliseconds)) }
        #endif
    }
}
