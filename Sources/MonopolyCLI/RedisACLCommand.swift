import ArgumentParser
import Crypto
import Foundation
import RelayProtocol

/// `monopoly admin redis-acl`: the ACL file of the deployment's Redis users (`RedisACL`), with the
/// passwords from the environment, for `redis-server --aclfile`. The file holds the passwords'
/// SHA-256 only.
struct RedisACLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis-acl",
        abstract: "Print (or write) the Redis ACL file: users gateway, authority and operator, the default user off.",
        discussion: "Passwords from $REDIS_GATEWAY_PASSWORD, $REDIS_AUTHORITY_PASSWORD and $REDIS_OPERATOR_PASSWORD. "
            + "--template prints deploy/redis-users.acl (placeholders instead of the hashes)."
    )

    @Flag(help: "Print the template with placeholders (deploy/redis-users.acl) instead.") var template = false
    @Option(help: "Write the file here instead of printing it.") var output: String?

    func run() throws {
        let text: String
        if template {
            text = RedisACL.template
        } else {
            var passwords: [RedisACL.User: String] = [:]
            for user in RedisACL.User.allCases {
                guard let password = ProcessInfo.processInfo.environment[user.passwordVariable], !password.isEmpty else {
                    throw ValidationError("$\(user.passwordVariable) is not set (the \(user.rawValue) user's Redis password)")
                }
                passwords[user] = password
            }
            text = Self.file(passwords: passwords)
        }
        if let output {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output))
        } else {
            print(text, terminator: "")
        }
    }

    /// The ACL file for these passwords (each user's must be there).
    static func file(passwords: [RedisACL.User: String]) -> String {
        RedisACL.file { "#" + sha256Hex(passwords[$0]!) }
    }

    static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A fresh password (128 random bits, hex: nothing to percent-encode in a URL).
    static func randomPassword() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
