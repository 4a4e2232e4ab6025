import Foundation
import RelayProtocol
import Testing

/// deploy/redis-users.acl (compose's ACL template) is `RedisACL.template`: a rule changed in one
/// and not the other fails here. What each user may do is proven against a real redis-server in
/// Tests/EndToEnd/test_acl.py (every end-to-end stack runs with these users).
@Suite struct RedisACLTests {
    @Test func composeTemplateIsTheGeneratedOne() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../deploy/redis-users.acl")
        let file = try String(contentsOf: url, encoding: .utf8)
        #expect(file == RedisACL.template, "deploy/redis-users.acl differs; regenerate it: monopoly admin redis-acl --template > deploy/redis-users.acl")
    }

    @Test func everyUserStartsFromNothingAndTheDefaultUserIsOff() {
        let lines = RedisACL.file { "#\($0.rawValue)" }.split(separator: "\n")
        #expect(lines.first?.hasPrefix("user default reset off ") == true && !lines[0].contains(">") && !lines[0].contains("#"))
        #expect(lines.count == 1 + RedisACL.User.allCases.count)
        for user in RedisACL.User.allCases {
            #expect(lines.contains { $0.hasPrefix("user \(user.rawValue) reset on #\(user.rawValue) ") }, "\(user)")
        }
    }

    /// The gateway's rules name commands one by one: no category, no script, no key or channel
    /// wildcard beyond its own names.
    @Test func theGatewayIsGrantedNoCategoryScriptOrWildcard() {
        let words = RedisACL.rules(.gateway).split(separator: " ").map { String($0).trimmingCharacters(in: ["(", ")"]) }
        #expect(!words.contains { $0.hasPrefix("+@") || $0 == "allkeys" || $0 == "allchannels" || $0 == "~*" || $0 == "&*" })
        #expect(!words.contains("+eval") && !words.contains("+evalsha") && !words.contains("+flushall"))
        #expect(words.contains("&monopoly:shard:{*}:cmd") && words.contains("+publish"))
        // Write access to keys only for its heartbeats; everything else it reads is %R.
        #expect(words.filter { $0.hasPrefix("~") } == ["~monopoly:gateway:*"])
    }

    @Test func theOperatorCannotPublishOrRunScripts() {
        let rules = RedisACL.rules(.operator)
        #expect(rules.contains("%R~monopoly:*") && !rules.contains(" ~"))
        #expect(rules.contains("-publish") && !rules.contains("+eval") && !rules.contains("+@write"))
    }

    @Test func passwordVariablesAndPlaceholders() {
        #expect(RedisACL.User.gateway.passwordVariable == "REDIS_GATEWAY_PASSWORD")
        #expect(RedisACL.User.operator.placeholder == "OPERATOR_PASSWORD_SHA256")
    }
}
