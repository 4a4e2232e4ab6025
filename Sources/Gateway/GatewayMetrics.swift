import CoreMetrics
import Metrics

import Prometheus
import WebSocket

/// The gateway's counters and gauges, made through an explicit swift-metrics factory (so several
/// servers in one test process each get their own registry) and rendered from that registry at
/// `/metrics`. The CLI bootstraps `MetricsSystem` with the same registry so that metrics created
/// through the global system (e.g. by the relay) appear there too.
public final class GatewayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    let connectionsOpen: CoreMetrics.Meter
    /// The configured limit on open WebSocket connections (beside `connections_open`).
    let maxConnections: CoreMetrics.Gauge
    let connectionsAccepted: CoreMetrics.Counter
    let messagesIn: CoreMetrics.Counter
    let messagesOut: CoreMetrics.Counter
    let bytesIn: CoreMetrics.Counter
    let bytesOut: CoreMetrics.Counter
    let pingTimeouts: CoreMetrics.Counter
    /// Connections closed because a (fragmented) message did not complete in time.
    let fragmentTimeouts: CoreMetrics.Counter
    let slowConsumerCloses: CoreMetrics.Counter
    let conflatedFrames: CoreMetrics.Counter
    let httpRequests: CoreMetrics.Counter
    let handshakeTimeouts: CoreMetrics.Counter
    /// Connections from a trusted proxy closed for a missing or malformed PROXY protocol header.
    let proxyHeadersRefused: CoreMetrics.Counter
    private let rejected: [String: CoreMetrics.Counter]
    private let handshakeFailures: [Int: CoreMetrics.Counter]
    private let closeCodes: [UInt16: CoreMetrics.Counter]
    private let otherHandshakeFailure: CoreMetrics.Counter
    private let otherCloseCode: CoreMetrics.Counter

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        let factory = PrometheusMetricsFactory(registry: registry)
        func counter(_ name: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Counter {
            CoreMetrics.Counter(label: "monopoly_gateway_" + name, dimensions: dimensions, factory: factory)
        }
        connectionsOpen = CoreMetrics.Meter(label: "monopoly_gateway_connections_open", factory: factory)
        maxConnections = CoreMetrics.Gauge(label: "monopoly_gateway_max_connections", factory: factory)
        connectionsAccepted = counter("connections_accepted_total")
        messagesIn = counter("messages_in_total")
        messagesOut = counter("messages_out_total")
        bytesIn = counter("bytes_in_total")
        bytesOut = counter("bytes_out_total")
        pingTimeouts = counter("ping_timeouts_total")
        fragmentTimeouts = counter("fragment_timeouts_total")
        slowConsumerCloses = counter("slow_consumer_closes_total")
        conflatedFrames = counter("conflated_frames_total")
        httpRequests = counter("http_requests_total")
        handshakeTimeouts = counter("handshake_timeouts_total")
        proxyHeadersRefused = counter("proxy_headers_refused_total")
        rejected = Dictionary(uniqueKeysWithValues: RejectReason.allCases.map {
            ($0.rawValue, counter("connections_rejected_total", [("reason", $0.rawValue)]))
        })
        handshakeFailures = Dictionary(uniqueKeysWithValues: [400, 403, 405, 426].map {
            ($0, counter("handshake_failures_total", [("status", String($0))]))
        })
        otherHandshakeFailure = counter("handshake_failures_total", [("status", "other")])
        closeCodes = Dictionary(uniqueKeysWithValues: [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011, 1013].map {
            (UInt16($0), counter("close_codes_sent_total", [("code", String($0))]))
        })
        otherCloseCode = counter("close_codes_sent_total", [("code", "other")])
    }

    enum RejectReason: String, CaseIterable {
        case maxConnections = "max_connections"
        case maxHTTPConnections = "max_http_connections"
        /// An upgrade from a client address that already has `maxConnectionsPerClient` WebSockets (429).
        case perClient = "per_client"
        /// A connection from a client address that already has that many waiting for their request.
        case perClientHTTP = "per_client_http"
        case draining
    }

    func rejected(_ reason: RejectReason) {
        rejected[reason.rawValue]?.increment()
    }

    func handshakeFailed(status: Int) {
        (handshakeFailures[status] ?? otherHandshakeFailure).increment()
    }

    func closeSent(_ code: UInt16) {
        (closeCodes[code] ?? otherCloseCode).increment()
    }

    /// Prometheus text exposition of the registry.
    public func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}

extension GatewayMetrics {
    /// For the process entry point: one Prometheus registry behind both the global `MetricsSystem`
    /// (so any component's swift-metrics end up at `/metrics`) and the gateway's own metrics.
    /// Call once per process.
    public static func bootstrappingMetricsSystem() -> GatewayMetrics {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // A state reaches every member of a game in microseconds to a few milliseconds.
        factory.durationHistogramBuckets["monopoly_gateway_state_fanout_seconds"] = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .seconds(1),
        ]
        MetricsSystem.bootstrap(factory)
        return GatewayMetrics(registry: registry)
    }
}
