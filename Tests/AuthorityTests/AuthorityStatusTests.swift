import Foundation
import Testing
@testable import Authority

/// What the authority's `/healthz` answers: healthy only as the active holder or a ready standby.
@Suite struct AuthorityStatusTests {
    @Test func healthyOnlyWhenActiveOrStandbyWithRedisReady() {
        for role in [AuthorityStatus.Role.active, .standby] {
            #expect(AuthorityStatus(id: "a", role: role, redis: "ready").healthy)
            #expect(!AuthorityStatus(id: "a", role: role, redis: "commands disconnected, subscriber ready").healthy)
        }
        for role in [AuthorityStatus.Role.starting, .stopping] {
            #expect(!AuthorityStatus(id: "a", role: role, redis: "ready").healthy)
        }
    }

    @Test func jsonNamesStatusRoleIdAndRedis() throws {
        let status = AuthorityStatus(id: "authority-\"1\"", role: .standby, redis: "ready")
        let object = try #require(JSONSerialization.jsonObject(with: Data(status.json.utf8)) as? [String: String])
        #expect(object == ["status": "ok", "role": "standby", "id": "authority-\"1\"", "redis": "ready"])
        let down = AuthorityStatus(id: "a", role: .active, redis: "connecting")
        #expect(down.json == #"{"id":"a","redis":"connecting","role":"active","status":"unhealthy"}"#)
    }
}
