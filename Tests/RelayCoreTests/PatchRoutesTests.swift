import RelayProtocol
import Testing
@testable import RelayCore

/// Who gets a state's patch and who gets the state whole (README, "State patches").
@Suite struct PatchRoutesTests {
    /// The state `seq` of epoch `epoch`.
    func v(_ seq: Int, epoch: Int = 0) -> StateVersion { StateVersion(epoch: StateEpoch(rawValue: epoch)!, seq: seq) }

    @Test func membersGetThePatchOnlyWhenTheirLastStateIsItsBase() {
        var routes = PatchRoutes<String, String>()
        let patch = (header: StatePatch.Header(seq: 8, base: 7), frame: "patch 8")
        let plain = 1 as UInt64, current = 2 as UInt64, behind = 3 as UInt64, fresh = 4 as UInt64
        routes.admit(plain, "plain", at: v(7), takesPatches: false)
        routes.admit(current, "current", at: v(7), takesPatches: true)
        routes.admit(behind, "behind", at: v(5), takesPatches: true)  // missed 6 and 7
        routes.admit(fresh, "fresh", at: nil, takesPatches: true)  // entered before any state
        routes.hold(patch.header, frame: patch.frame)
        #expect(routes.take(for: v(9)) == nil)  // the patch of another state is never used ...
        routes.hold(patch.header, frame: patch.frame)
        let held = routes.take(for: v(8))
        #expect(held?.header == patch.header)
        #expect(routes.take(for: v(8)) == nil)  // ... and is for one state only
        #expect(routes.route(plain, to: v(8), patch: held) == nil)
        #expect(routes.route(current, to: v(8), patch: held) == patch.frame)
        #expect(routes.route(behind, to: v(8), patch: held) == nil)
        #expect(routes.route(fresh, to: v(8), patch: held) == nil)
        // All three patch takers are at 8 now: the next patch (base 8) reaches them, a state without one does not.
        let next = (header: StatePatch.Header(seq: 9, base: 8), frame: "patch 9")
        for id in [current, behind, fresh] { #expect(routes.route(id, to: v(9), patch: next) != nil) }
        for id in [current, behind, fresh] { #expect(routes.route(id, to: v(10), patch: nil) == nil) }
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
            all.admit(id, "member \(id)", at: seq.map { v($0) }, takesPatches: patches)
            each.admit(id, "member \(id)", at: seq.map { v($0) }, takesPatches: patches)
        }
        let members = Dictionary(uniqueKeysWithValues: ids.map { ($0, "member \($0)") })
        for (seq, base) in [(8, 7), (9, 8), (10, nil), (11, 10), (12, 11)] as [(Int, Int?)] {
            let patch = base.map { (header: StatePatch.Header(seq: seq, base: $0), frame: "patch \(seq)") }
            let (patched, whole) = all.partition(members, to: v(seq), patch: patch)
            let expected = Set(ids.filter { each.route($0, to: v(seq), patch: patch) != nil })
            #expect(Set(patched.keys) == expected, "state \(seq)")
            #expect(Set(whole.keys) == Set(ids).subtracting(expected), "state \(seq)")
            #expect(patched.allSatisfy { members[$0.key] == $0.value } && whole.allSatisfy { members[$0.key] == $0.value })
        }
    }

    /// A seq of one epoch is not the same state as that seq of another (after a Redis rollback
    /// the authority publishes seq numbers again, in a new epoch): no patch crosses epochs.
    @Test func aPatchAppliesOnlyToItsBaseInItsOwnEpoch() {
        var routes = PatchRoutes<String, String>()
        let member = 1 as UInt64
        routes.admit(member, "member", at: v(7, epoch: 100), takesPatches: true)
        let otherEpoch = (header: StatePatch.Header(seq: 8, base: 7, epoch: StateEpoch(rawValue: 200)!), frame: "patch 8 of 200")
        routes.hold(otherEpoch.header, frame: otherEpoch.frame)
        #expect(routes.take(for: v(8, epoch: 100)) == nil)  // held for 8 of epoch 200, not of 100
        #expect(routes.route(member, to: v(8, epoch: 200), patch: otherEpoch) == nil)  // its base 7 is of epoch 100: whole
        let sameEpoch = (header: StatePatch.Header(seq: 9, base: 8, epoch: StateEpoch(rawValue: 200)!), frame: "patch 9 of 200")
        #expect(routes.route(member, to: v(9, epoch: 200), patch: sameEpoch) == sameEpoch.frame)
        // The same when the whole game is routed at once.
        let members: [UInt64: String] = [member: "member"]
        let (patched, whole) = routes.partition(members, to: v(10, epoch: 300),
                                                patch: (header: StatePatch.Header(seq: 10, base: 9, epoch: StateEpoch(rawValue: 300)!), frame: "patch 10 of 300"))
        #expect(patched.isEmpty && whole.keys.sorted() == [member])
    }
}
