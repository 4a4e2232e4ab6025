import RelayProtocol
import Testing
@testable import RelayCore

/// Who gets a state's patch and who gets the state whole (README, "State patches").
@Suite struct PatchRoutesTests {
    @Test func membersGetThePatchOnlyWhenTheirLastStateIsItsBase() {
        var routes = PatchRoutes<String>()
        let patch = (header: StatePatch.Header(seq: 8, base: 7), frame: "patch 8")
        let plain = 1 as UInt64, current = 2 as UInt64, behind = 3 as UInt64, fresh = 4 as UInt64
        routes.admit(plain, at: 7, takesPatches: false)
        routes.admit(current, at: 7, takesPatches: true)
        routes.admit(behind, at: 5, takesPatches: true)  // missed 6 and 7
        routes.admit(fresh, at: nil, takesPatches: true)  // entered before any state
        routes.hold(patch.header, frame: patch.frame)
        #expect(routes.take(for: 9) == nil)  // the patch of another state is never used ...
        routes.hold(patch.header, frame: patch.frame)
        let held = routes.take(for: 8)
        #expect(held?.header == patch.header)
        #expect(routes.take(for: 8) == nil)  // ... and is for one state only
        #expect(routes.route(plain, to: 8, patch: held) == nil)
        #expect(routes.route(current, to: 8, patch: held) == patch.frame)
        #expect(routes.route(behind, to: 8, patch: held) == nil)
        #expect(routes.route(fresh, to: 8, patch: held) == nil)
        // All three patch takers are at 8 now: the next patch (base 8) reaches them, a state without one does not.
        let next = (header: StatePatch.Header(seq: 9, base: 8), frame: "patch 9")
        for id in [current, behind, fresh] { #expect(routes.route(id, to: 9, patch: next) != nil) }
        for id in [current, behind, fresh] { #expect(routes.route(id, to: 10, patch: nil) == nil) }
        routes.remove(current)
        #expect(routes.count == 2)
    }
}
