import RelayProtocol
import Testing
@testable import RelayCore

/// Who gets a state's patch and who gets the state whole (README, "State patches").
@Suite struct PatchRoutesTests {
    @Test func membersGetThePatchOnlyWhenTheirLastStateIsItsBase() {
        var routes = PatchRoutes<String, String>()
        let patch = (header: StatePatch.Header(seq: 8, base: 7), frame: "patch 8")
        let plain = 1 as UInt64, current = 2 as UInt64, behind = 3 as UInt64, fresh = 4 as UInt64
        routes.admit(plain, "plain", at: 7, takesPatches: false)
        routes.admit(current, "current", at: 7, takesPatches: true)
        routes.admit(behind, "behind", at: 5, takesPatches: true)  // missed 6 and 7
        routes.admit(fresh, "fresh", at: nil, takesPatches: true)  // entered before any state
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

    /// The fan-out routes all members at once: the same answers as one by one, chains moved alike,
    /// whether every member continues its chain or not, and for a member that was never admitted.
    @Test(arguments: [[1, 2, 3, 4], [2, 3], [2], [2, 9]] as [[UInt64]])
    func routingAllMembersAtOnceAgreesWithRoutingEachOne(ids: [UInt64]) {
        var all = PatchRoutes<String, String>()
        var each = PatchRoutes<String, String>()
        let admitted: [(UInt64, Int?, Bool)] = [(1, 7, false), (2, 7, true), (3, 5, true), (4, nil, true)]
        for (id, seq, patches) in admitted where ids.contains(id) {
            all.admit(id, "member \(id)", at: seq, takesPatches: patches)
            each.admit(id, "member \(id)", at: seq, takesPatches: patches)
        }
        let members = Dictionary(uniqueKeysWithValues: ids.map { ($0, "member \($0)") })
        for (seq, base) in [(8, 7), (9, 8), (10, nil), (11, 10), (12, 11)] as [(Int, Int?)] {
            let patch = base.map { (header: StatePatch.Header(seq: seq, base: $0), frame: "patch \(seq)") }
            let (patched, whole) = all.partition(members, to: seq, patch: patch)
            let expected = Set(ids.filter { each.route($0, to: seq, patch: patch) != nil })
            #expect(Set(patched.keys) == expected, "state \(seq)")
            #expect(Set(whole.keys) == Set(ids).subtracting(expected), "state \(seq)")
            #expect(patched.allSatisfy { members[$0.key] == $0.value } && whole.allSatisfy { members[$0.key] == $0.value })
        }
    }
}
