import Foundation

/// Debug builds only (the tests' binary; release builds, the image's, have none of it):
/// `MONOPOLY_DEBUG_TRAP=TYPE` in the authority's environment makes it trap when it is about to
/// apply a command of that type, so the tests crash a real process mid-command (poison games).
enum DebugTrap {
    #if DEBUG
    static let type = ProcessInfo.processInfo.environment["MONOPOLY_DEBUG_TRAP"]
    #endif

    static func check(_ commandType: String) {
        #if DEBUG
        if let type, type == commandType { fatalError("MONOPOLY_DEBUG_TRAP: trapping on \(commandType)") }
        #endif
    }
}
