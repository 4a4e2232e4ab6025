#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let openFilesResource = Int32(RLIMIT_NOFILE.rawValue)
#else
private let openFilesResource = RLIMIT_NOFILE
#endif

/// Every connection is a file descriptor; Debian's default soft limit (1024) would cap a gateway at
/// about a thousand clients. Raises the soft limit to the hard limit (or `wanted`, if lower) and
/// returns the limit now in force.
public enum OpenFileLimit {
    @discardableResult
    public static func raise(wanted: UInt64 = .max) -> UInt64 {
        var limit = rlimit()
        guard getrlimit(openFilesResource, &limit) == 0 else { return 0 }
        let target = min(UInt64(limit.rlim_max), wanted)
        if UInt64(limit.rlim_cur) < target {
            var raised = limit
            raised.rlim_cur = rlim_t(target)
            if setrlimit(openFilesResource, &raised) == 0 { return target }
        }
        return UInt64(limit.rlim_cur)
    }
}
