import Testing
@testable import Authority

/// The process-wide gate between games' commands (see `ApplyGate`): a suspect game's command runs
/// alone, so a death during it leaves no bystander's in-flight mark.
struct ApplyGateTests {
    enum Step {
        /// A command asks for a turn: `alone` for a suspect game; whether it gets in at once.
        case enter(String, alone: Bool, admitted: Bool)
        /// A command ends its turn; the waiters let in by it, in order.
        case leave(alone: Bool, resumes: [String])
    }

    static let cases: [(name: String, steps: [Step])] = [
        ("healthy games share the gate", [
            .enter("a", alone: false, admitted: true),
            .enter("b", alone: false, admitted: true),
            .leave(alone: false, resumes: []),
            .leave(alone: false, resumes: []),
        ]),
        ("a suspect waits until no other command is in flight", [
            .enter("healthy-1", alone: false, admitted: true),
            .enter("healthy-2", alone: false, admitted: true),
            .enter("suspect", alone: true, admitted: false),
            .leave(alone: false, resumes: []),
            .leave(alone: false, resumes: ["suspect"]),
            .leave(alone: true, resumes: []),
        ]),
        ("nothing starts beside a suspect; what waited goes in arrival order", [
            .enter("suspect", alone: true, admitted: true),
            .enter("healthy-1", alone: false, admitted: false),
            .enter("healthy-2", alone: false, admitted: false),
            .enter("another suspect", alone: true, admitted: false),
            .enter("healthy-3", alone: false, admitted: false),
            .leave(alone: true, resumes: ["healthy-1", "healthy-2"]),
            .leave(alone: false, resumes: []),
            .leave(alone: false, resumes: ["another suspect"]),
            .leave(alone: true, resumes: ["healthy-3"]),
            .leave(alone: false, resumes: []),
        ]),
        ("a waiting suspect is not overtaken by later commands", [
            .enter("healthy-1", alone: false, admitted: true),
            .enter("suspect", alone: true, admitted: false),
            .enter("healthy-2", alone: false, admitted: false),
            .leave(alone: false, resumes: ["suspect"]),
            .leave(alone: true, resumes: ["healthy-2"]),
            .leave(alone: false, resumes: []),
        ]),
    ]

    @Test(arguments: cases.indices)
    func steps(_ index: Int) {
        var gate = ApplyGateState<String>()
        for (number, step) in Self.cases[index].steps.enumerated() {
            let context = Comment(rawValue: "\(Self.cases[index].name), step \(number + 1)")
            switch step {
            case .enter(let name, let alone, let admitted):
                let entered = gate.enter(alone: alone, waiter: name)
                #expect(entered == admitted, context)
            case .leave(let alone, let resumes):
                let resumed = gate.leave(alone: alone)
                #expect(resumed == resumes, context)
            }
        }
        #expect(gate.shared == 0 && !gate.alone && gate.waiting == 0, "\(Self.cases[index].name): ends empty")
    }

    @Test func aTryWithoutAWaiterQueuesNothing() {
        var gate = ApplyGateState<String>()
        let suspect = gate.enter(alone: true, waiter: nil)
        let healthy = gate.enter(alone: false, waiter: nil)
        #expect(suspect && !healthy && gate.waiting == 0)
    }

    @Test func theAsyncGateLetsASuspectInOnlyWhenTheOthersLeave() async {
        let gate = ApplyGate()
        await gate.enter(alone: false)
        let suspect = Task {
            await gate.enter(alone: true)
            let seen = gate.inFlight
            gate.leave(alone: true)
            return seen
        }
        await Task.yield()
        #expect(gate.inFlight.alone == false)
        gate.leave(alone: false)
        let seen = await suspect.value
        #expect(seen.alone && seen.shared == 0)
        #expect(gate.inFlight.shared == 0 && !gate.inFlight.alone)
    }
}
