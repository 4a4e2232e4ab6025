import ArgumentParser
import Benchmarks

/// `monopoly bench parse`: the parse cost of hostile 64 KiB client messages, new parser beside the old.
struct BenchParse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Time ClientRequest.parse on hostile 64 KiB messages (nesting at and past the limit, many keys, long escaped strings, combining marks, big numbers) beside the old JSONValue path. Build with -c release."
    )

    @Option(help: "Milliseconds each parser repeats an input per run.")
    var milliseconds: Int = 200

    @Option(help: "Runs per input; the best is printed.")
    var runs: Int = 3

    func validate() throws {
        guard milliseconds > 0, runs > 0 else { throw ValidationError("--milliseconds and --runs must be positive") }
    }

    func run() throws {
        print(ParseBenchmark.run(minimumDuration: .milliseconds(milliseconds), runs: runs))
    }
}
