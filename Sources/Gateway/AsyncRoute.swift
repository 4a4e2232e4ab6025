import NIOCore
import NIOHTTP1

/// A GET (or HEAD) answered asynchronously, from something the gateway must ask first (Redis):
/// the paths under `prefix`, e.g. `/games/` for a finished game's command log.
public struct AsyncRoute: Sendable {
    public struct Response: Sendable {
        public var status: HTTPResponseStatus
        public var headers: [(name: String, value: String)]
        public var body: ByteBuffer
        /// Called once the response is written to the socket, or can no longer be (the connection
        /// closed): until then its body is held in memory, however slowly the client reads.
        public var written: (@Sendable () -> Void)?

        public init(status: HTTPResponseStatus, headers: [(name: String, value: String)] = [], body: ByteBuffer,
                    written: (@Sendable () -> Void)? = nil) {
            self.status = status
            self.headers = headers
            self.body = body
            self.written = written
        }

        /// A short plain-text answer (errors).
        public static func text(_ status: HTTPResponseStatus, _ text: String, headers: [(name: String, value: String)] = []) -> Response {
            Response(status: status, headers: headers, body: ByteBuffer(string: text + "\n"))
        }
    }

    public var prefix: String
    /// The response to a request for `path` (the target without its query).
    public var respond: @Sendable (_ path: String) async -> Response

    public init(prefix: String, respond: @escaping @Sendable (_ path: String) async -> Response) {
        self.prefix = prefix
        self.respond = respond
    }
}
