import XCTest

@testable import GongzhiHost

/// The supervision state machine: every transition, with the exact actions it asks for.
final class PluginSupervisorTests: XCTestCase {
    private typealias Action = PluginSupervisor.Action

    /// A fixed origin for every test's clock; events happen at `base + offset`.
    private let base = ContinuousClock.now

    private func policy(
        restart: PluginConfiguration.RestartPolicy = .always,
        backoffMaximum: Duration = .seconds(8),
        crashLimit: Int = 3,
        crashWindow: Duration = .seconds(60),
        unhealthyLimit: Int = 3
    ) -> PluginSupervisor.Policy {
        var supervision = SupervisionPolicy()
        supervision.startTimeout = .seconds(15)
        supervision.stopGracePeriod = .seconds(5)
        supervision.backoffInitial = .seconds(1)
        supervision.backoffMaximum = backoffMaximum
        supervision.crashLimit = crashLimit
        supervision.crashWindow = crashWindow
        supervision.unhealthyLimit = unhealthyLimit
        return PluginSupervisor.Policy(supervision, restart: restart)
    }

    private func at(_ seconds: Int) -> ContinuousClock.Instant { base + .seconds(seconds) }

    private let startActions: [Action] = [.cancel(.restart), .spawn, .schedule(.startDeadline, after: .seconds(15))]
    private let stopActions: [Action] = [
        .withdrawRoutes, .requestShutdown(grace: .seconds(5)), .schedule(.terminate, after: .seconds(5)),
    ]
    private let exitCleanup: [Action] = [.cancel(.terminate), .cancel(.kill)]

    /// A supervisor whose plugin was started, spawned as pid 42 and is ready, at `at(seconds)`.
    private func ready(_ policy: PluginSupervisor.Policy? = nil, at seconds: Int = 0) -> PluginSupervisor {
        var supervisor = PluginSupervisor(policy: policy ?? self.policy())
        XCTAssertEqual(supervisor.handle(.start, now: at(seconds)), startActions)
        XCTAssertEqual(supervisor.handle(.spawned(pid: 42), now: at(seconds)), [])
        XCTAssertEqual(supervisor.handle(.ready, now: at(seconds)), [.cancel(.startDeadline), .publishRoutes])
        XCTAssertEqual(supervisor.state, .ready)
        return supervisor
    }

    /// Brings a backing-off supervisor back to ready when its restart timer fires.
    private func restartAfterBackoff(_ supervisor: inout PluginSupervisor, at seconds: Int) {
        XCTAssertEqual(supervisor.state, .backingOff)
        XCTAssertEqual(supervisor.handle(.timerFired(.restart), now: at(seconds)), startActions)
        XCTAssertEqual(supervisor.state, .starting)
        XCTAssertEqual(supervisor.handle(.spawned(pid: 100 + Int32(seconds)), now: at(seconds)), [])
        XCTAssertEqual(supervisor.handle(.ready, now: at(seconds)), [.cancel(.startDeadline), .publishRoutes])
    }

    // MARK: Starting

    func testInitialState() {
        let supervisor = PluginSupervisor(policy: policy())
        XCTAssertEqual(supervisor.state, .stopped)
        XCTAssertNil(supervisor.pid)
        XCTAssertEqual(supervisor.restarts, 0)
        XCTAssertEqual(supervisor.recentCrashes, [])
        XCTAssertEqual(supervisor.failedHealthChecks, 0)
        XCTAssertNil(supervisor.nextStart)
        XCTAssertFalse(supervisor.hasProcess)
        XCTAssertEqual(supervisor.reason, "")
    }

    func testPolicyFromConfiguration() {
        let always = policy()
        XCTAssertTrue(always.restartsAfterCrash)
        XCTAssertEqual(always.startTimeout, .seconds(15))
        XCTAssertEqual(always.crashLimit, 3)
        XCTAssertFalse(policy(restart: .never).restartsAfterCrash)
        let defaults = PluginSupervisor.Policy(SupervisionPolicy(), restart: .always)
        XCTAssertEqual(defaults.backoffMaximum, .seconds(60))
        XCTAssertEqual(defaults.unhealthyLimit, 3)
    }

    func testStartSpawnsAndSchedulesTheStartDeadline() {
        var supervisor = PluginSupervisor(policy: policy())
        XCTAssertEqual(
            supervisor.handle(.start, now: base),
            [.cancel(.restart), .spawn, .schedule(.startDeadline, after: .seconds(15))]
        )
        XCTAssertEqual(supervisor.state, .starting)
        XCTAssertTrue(supervisor.hasProcess)
        XCTAssertNil(supervisor.pid)
        XCTAssertEqual(supervisor.restarts, 0, "the first start is not a restart")
    }

    func testSpawnedRecordsThePid() {
        var supervisor = PluginSupervisor(policy: policy())
        _ = supervisor.handle(.start, now: base)
        XCTAssertEqual(supervisor.handle(.spawned(pid: 4242), now: base), [])
        XCTAssertEqual(supervisor.pid, 4242)
        XCTAssertEqual(supervisor.state, .starting)
    }

    func testReadyPublishesRoutes() {
        var supervisor = PluginSupervisor(policy: policy())
        _ = supervisor.handle(.start, now: base)
        _ = supervisor.handle(.spawned(pid: 7), now: base)
        XCTAssertEqual(supervisor.handle(.ready, now: at(1)), [.cancel(.startDeadline), .publishRoutes])
        XCTAssertEqual(supervisor.state, .ready)
        XCTAssertEqual(supervisor.pid, 7)
        XCTAssertEqual(supervisor.reason, "")
        XCTAssertTrue(supervisor.hasProcess)
    }

    func testSpawnFailureBacksOff() {
        var supervisor = PluginSupervisor(policy: policy())
        _ = supervisor.handle(.start, now: base)
        XCTAssertEqual(
            supervisor.handle(.spawnFailed(reason: "ENOENT"), now: at(2)),
            [.schedule(.restart, after: .seconds(1)), .cancel(.startDeadline)]
        )
        XCTAssertEqual(supervisor.state, .backingOff)
        XCTAssertTrue(supervisor.reason.contains("could not be started: ENOENT"), supervisor.reason)
        XCTAssertEqual(supervisor.recentCrashes, [at(2)])
        XCTAssertEqual(supervisor.nextStart, at(3))
    }

    func testExitWhileStartingBacksOff() {
        var supervisor = PluginSupervisor(policy: policy())
        _ = supervisor.handle(.start, now: base)
        _ = supervisor.handle(.spawned(pid: 9), now: base)
        XCTAssertEqual(
            supervisor.handle(.exited(reason: "exit status 1"), now: at(1)),
            [.withdrawRoutes, .cancel(.startDeadline), .schedule(.restart, after: .seconds(1))]
        )
        XCTAssertEqual(supervisor.state, .backingOff)
        XCTAssertNil(supervisor.pid)
        XCTAssertFalse(supervisor.hasProcess)
    }

    // MARK: Crashes and backoff

    func testExitWhileReadyBacksOff() {
        var supervisor = ready()
        XCTAssertEqual(
            supervisor.handle(.exited(reason: "killed by signal 11"), now: at(10)),
            [.withdrawRoutes, .cancel(.startDeadline), .schedule(.restart, after: .seconds(1))]
        )
        XCTAssertEqual(supervisor.state, .backingOff)
        XCTAssertEqual(supervisor.reason, "killed by signal 11")
        XCTAssertNil(supervisor.pid)
        XCTAssertEqual(supervisor.recentCrashes, [at(10)])
        XCTAssertEqual(supervisor.nextStart, at(11))
        XCTAssertFalse(supervisor.hasProcess)

        XCTAssertEqual(supervisor.handle(.timerFired(.restart), now: at(11)), startActions)
        XCTAssertEqual(supervisor.state, .starting)
        XCTAssertEqual(supervisor.restarts, 1)
        XCTAssertNil(supervisor.nextStart)
        XCTAssertEqual(supervisor.recentCrashes, [at(10)], "history is kept across a restart")
    }

    func testBackoffDoublesAndIsCappedAtTheMaximum() {
        var supervisor = ready(policy(backoffMaximum: .seconds(8), crashLimit: 100, crashWindow: .seconds(3600)))
        let expected: [Duration] = [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(8)]
        var now = 0
        for (index, delay) in expected.enumerated() {
            now += 10
            XCTAssertEqual(
                supervisor.handle(.exited(reason: "crash \(index)"), now: at(now)),
                [.withdrawRoutes, .cancel(.startDeadline), .schedule(.restart, after: delay)],
                "crash \(index + 1)"
            )
            XCTAssertEqual(supervisor.nextStart, at(now) + delay)
            XCTAssertEqual(supervisor.recentCrashes.count, index + 1)
            restartAfterBackoff(&supervisor, at: now + 9)
        }
        XCTAssertEqual(supervisor.restarts, expected.count)
    }

    func testBackoffFunction() {
        let supervisor = PluginSupervisor(policy: policy(backoffMaximum: .seconds(5)))
        XCTAssertEqual(supervisor.backoff(afterCrashes: 0), .seconds(1))
        XCTAssertEqual(supervisor.backoff(afterCrashes: 1), .seconds(1))
        XCTAssertEqual(supervisor.backoff(afterCrashes: 2), .seconds(2))
        XCTAssertEqual(supervisor.backoff(afterCrashes: 3), .seconds(4))
        XCTAssertEqual(supervisor.backoff(afterCrashes: 4), .seconds(5), "capped, not 8s")
        XCTAssertEqual(supervisor.backoff(afterCrashes: 1000), .seconds(5))
    }

    func testTooManyCrashesInTheWindowQuarantine() {
        var supervisor = ready(policy(crashLimit: 3, crashWindow: .seconds(60)))
        XCTAssertEqual(
            supervisor.handle(.exited(reason: "one"), now: at(1)),
            [.withdrawRoutes, .cancel(.startDeadline), .schedule(.restart, after: .seconds(1))]
        )
        restartAfterBackoff(&supervisor, at: 2)
        XCTAssertEqual(
            supervisor.handle(.exited(reason: "two"), now: at(3)),
            [.withdrawRoutes, .cancel(.startDeadline), .schedule(.restart, after: .seconds(2))]
        )
        restartAfterBackoff(&supervisor, at: 5)
        XCTAssertEqual(
            supervisor.handle(.exited(reason: "three"), now: at(6)),
            [.withdrawRoutes, .cancel(.startDeadline)],
            "no restart is scheduled"
        )
        XCTAssertEqual(supervisor.state, .quarantined)
        XCTAssertEqual(supervisor.recentCrashes, [at(1), at(3), at(6)])
        XCTAssertTrue(supervisor.reason.contains("3 crashes"), supervisor.reason)
        XCTAssertTrue(supervisor.reason.contains("three"), supervisor.reason)
        XCTAssertNil(supervisor.nextStart)
        XCTAssertFalse(supervisor.hasProcess)

        // A late restart timer does nothing.
        XCTAssertEqual(supervisor.handle(.timerFired(.restart), now: at(7)), [])
        XCTAssertEqual(supervisor.state, .quarantined)
    }

    func testCrashesAtTheEdgeOfTheWindowStillCount() {
        var supervisor = ready(policy(crashLimit: 3, crashWindow: .seconds(60)))
        _ = supervisor.handle(.exited(reason: "one"), now: at(0))
        restartAfterBackoff(&supervisor, at: 1)
        _ = supervisor.handle(.exited(reason: "two"), now: at(30))
        restartAfterBackoff(&supervisor, at: 32)
        XCTAssertEqual(
            supervisor.handle(.exited(reason: "three"), now: at(60)),
            [.withdrawRoutes, .cancel(.startDeadline)]
        )
        XCTAssertEqual(supervisor.state, .quarantined)
    }

    func testCrashesSpreadBeyondTheWindowDoNotQuarantine() {
        var supervisor = ready(policy(crashLimit: 3, crashWindow: .seconds(60)))
        for round in 1...6 {
            let now = round * 61
            XCTAssertEqual(
                supervisor.handle(.exited(reason: "crash \(round)"), now: at(now)),
                [.withdrawRoutes, .cancel(.startDeadline), .schedule(.restart, after: .seconds(1))],
                "round \(round): only this crash is recent, so the initial delay"
            )
            XCTAssertEqual(supervisor.state, .backingOff)
            XCTAssertEqual(supervisor.recentCrashes, [at(now)], "older crashes leave the window")
            restartAfterBackoff(&supervisor, at: now + 1)
        }
        XCTAssertEqual(supervisor.restarts, 6)
    }

    func testRestartPolicyNeverLeavesItCrashed() {
        var supervisor = ready(policy(restart: .never))
        XCTAssertEqual(
            supervisor.handle(.exited(reason: "exit status 3"), now: at(5)),
            [.withdrawRoutes, .cancel(.startDeadline)]
        )
        XCTAssertEqual(supervisor.state, .crashed)
        XCTAssertEqual(supervisor.reason, "exit status 3")
        XCTAssertNil(supervisor.nextStart)
        XCTAssertEqual(supervisor.handle(.timerFired(.restart), now: at(6)), [])
        XCTAssertEqual(supervisor.state, .crashed)

        // An operator starts it again.
        XCTAssertEqual(supervisor.handle(.start, now: at(7)), startActions)
        XCTAssertEqual(supervisor.state, .starting)
        XCTAssertEqual(supervisor.restarts, 1)
    }

    func testRestartFromCrashed() {
        var supervisor = ready(policy(restart: .never))
        _ = supervisor.handle(.exited(reason: "x"), now: at(5))
        XCTAssertEqual(supervisor.handle(.restart, now: at(6)), startActions)
        XCTAssertEqual(supervisor.state, .starting)
    }

    func testQuarantinedStartClearsTheHistory() {
        var supervisor = ready(policy(crashLimit: 1))
        XCTAssertEqual(
            supervisor.handle(.exited(reason: "boom"), now: at(1)),
            [.withdrawRoutes, .cancel(.startDeadline)]
        )
        XCTAssertEqual(supervisor.state, .quarantined)
        XCTAssertEqual(supervisor.recentCrashes.count, 1)

        XCTAssertEqual(supervisor.handle(.start, now: at(2)), startActions)
        XCTAssertEqual(supervisor.state, .starting)
        XCTAssertEqual(supervisor.recentCrashes, [])
        XCTAssertEqual(supervisor.restarts, 1)
        XCTAssertEqual(supervisor.reason, "")
    }

    func testQuarantinedRestartClearsTheHistory() {
        var supervisor = ready(policy(crashLimit: 1))
        _ = supervisor.handle(.exited(reason: "boom"), now: at(1))
        XCTAssertEqual(supervisor.handle(.restart, now: at(2)), startActions)
        XCTAssertEqual(supervisor.state, .starting)
        XCTAssertEqual(supervisor.recentCrashes, [])
    }

    // MARK: Stopping

    func testStopWhileReadyEscalates() {
        var supervisor = ready()
        XCTAssertEqual(
            supervisor.handle(.stop(reason: "disabled"), now: at(1)),
            [.withdrawRoutes, .requestShutdown(grace: .seconds(5)), .schedule(.terminate, after: .seconds(5))]
        )
        XCTAssertEqual(supervisor.state, .stopping)
        XCTAssertEqual(supervisor.reason, "disabled")
        XCTAssertTrue(supervisor.hasProcess)
        XCTAssertEqual(supervisor.pid, 42)

        XCTAssertEqual(
            supervisor.handle(.timerFired(.terminate), now: at(6)),
            [.signal(.terminate), .schedule(.kill, after: .seconds(5))]
        )
        XCTAssertEqual(supervisor.state, .stopping)
        XCTAssertEqual(supervisor.handle(.timerFired(.kill), now: at(11)), [.signal(.kill)])
        XCTAssertEqual(supervisor.state, .stopping)

        XCTAssertEqual(supervisor.handle(.exited(reason: "killed by signal 9"), now: at(11)), exitCleanup)
        XCTAssertEqual(supervisor.state, .stopped)
        XCTAssertEqual(supervisor.reason, "disabled (killed by signal 9)")
        XCTAssertNil(supervisor.pid)
        XCTAssertFalse(supervisor.hasProcess)
        XCTAssertEqual(supervisor.recentCrashes, [], "a requested stop is not a crash")
    }

    func testStopWhileDegraded() {
        var supervisor = ready()
        _ = supervisor.handle(.healthDegraded(reason: "slow disk"), now: at(1))
        XCTAssertEqual(supervisor.handle(.stop(reason: "host shutdown"), now: at(2)), stopActions)
        XCTAssertEqual(supervisor.state, .stopping)
        XCTAssertEqual(supervisor.handle(.exited(reason: "exit status 0"), now: at(3)), exitCleanup)
        XCTAssertEqual(supervisor.state, .stopped)
    }

    func testStopWhileStartingSignalsAtOnce() {
        var supervisor = PluginSupervisor(policy: policy())
        _ = supervisor.handle(.start, now: base)
        _ = supervisor.handle(.spawned(pid: 5), now: base)
        XCTAssertEqual(
            supervisor.handle(.stop(reason: "removed"), now: at(1)),
            [.cancel(.startDeadline), .signal(.terminate), .schedule(.kill, after: .seconds(5))]
        )
        XCTAssertEqual(supervisor.state, .stopping)
        XCTAssertEqual(supervisor.handle(.exited(reason: "exit status 0"), now: at(2)), exitCleanup)
        XCTAssertEqual(supervisor.state, .stopped)
        XCTAssertEqual(supervisor.reason, "removed (exit status 0)")
    }

    func testStopWhileBackingOffCancelsTheRestart() {
        var supervisor = ready()
        _ = supervisor.handle(.exited(reason: "crash"), now: at(1))
        XCTAssertEqual(supervisor.state, .backingOff)
        XCTAssertNotNil(supervisor.nextStart)
        XCTAssertEqual(supervisor.handle(.stop(reason: "disabled"), now: at(1)), [.cancel(.restart)])
        XCTAssertEqual(supervisor.state, .stopped)
        XCTAssertEqual(supervisor.reason, "disabled")
        XCTAssertNil(supervisor.nextStart)
        XCTAssertEqual(supervisor.handle(.timerFired(.restart), now: at(2)), [], "a late timer does nothing")
        XCTAssertEqual(supervisor.state, .stopped)
    }

    func testStopWhileCrashedOrQuarantined() {
        var crashed = ready(policy(restart: .never))
        _ = crashed.handle(.exited(reason: "x"), now: at(1))
        XCTAssertEqual(crashed.handle(.stop(reason: "disabled"), now: at(2)), [])
        XCTAssertEqual(crashed.state, .stopped)
        XCTAssertEqual(crashed.reason, "disabled")

        var quarantined = ready(policy(crashLimit: 1))
        _ = quarantined.handle(.exited(reason: "x"), now: at(1))
        XCTAssertEqual(quarantined.state, .quarantined)
        XCTAssertEqual(quarantined.handle(.stop(reason: "removed"), now: at(2)), [])
        XCTAssertEqual(quarantined.state, .stopped)
    }

    func testStopWhileStoppingKeepsItStopped() {
        var supervisor = ready()
        _ = supervisor.handle(.restart, now: at(1))
        XCTAssertEqual(supervisor.handle(.stop(reason: "host shutdown"), now: at(2)), [])
        XCTAssertEqual(supervisor.state, .stopping)
        XCTAssertEqual(supervisor.reason, "host shutdown")
        XCTAssertEqual(supervisor.handle(.exited(reason: "exit status 0"), now: at(3)), exitCleanup)
        XCTAssertEqual(supervisor.state, .stopped, "the stop overrides the pending restart")
        XCTAssertEqual(supervisor.reason, "host shutdown (exit status 0)")
    }

    func testStartWhileStoppingStartsAgainAfterTheExit() {
        var supervisor = ready()
        _ = supervisor.handle(.stop(reason: "disabled"), now: at(1))
        XCTAssertEqual(supervisor.handle(.start, now: at(2)), [])
        XCTAssertEqual(supervisor.state, .stopping)
        XCTAssertEqual(supervisor.handle(.exited(reason: "exit status 0"), now: at(3)), exitCleanup + startActions)
        XCTAssertEqual(supervisor.state, .starting)
        XCTAssertEqual(supervisor.restarts, 1)
    }

    // MARK: Restart

    func testRestartWhileReady() {
        var supervisor = ready()
        XCTAssertEqual(supervisor.handle(.restart, now: at(1)), stopActions)
        XCTAssertEqual(supervisor.state, .stopping)
        XCTAssertEqual(supervisor.reason, "restarting")
        XCTAssertEqual(supervisor.restarts, 0)

        XCTAssertEqual(
            supervisor.handle(.exited(reason: "exit status 0"), now: at(2)),
            [
                .cancel(.terminate), .cancel(.kill), .cancel(.restart), .spawn,
                .schedule(.startDeadline, after: .seconds(15)),
            ]
        )
        XCTAssertEqual(supervisor.state, .starting)
        XCTAssertEqual(supervisor.restarts, 1)
        XCTAssertNil(supervisor.pid)
        XCTAssertEqual(supervisor.recentCrashes, [], "an operator's restart is not a crash")

        XCTAssertEqual(supervisor.handle(.spawned(pid: 43), now: at(2)), [])
        XCTAssertEqual(supervisor.handle(.ready, now: at(3)), [.cancel(.startDeadline), .publishRoutes])
        XCTAssertEqual(supervisor.pid, 43)
        XCTAssertEqual(supervisor.restarts, 1)
    }

    func testRestartWhileStarting() {
        var supervisor = PluginSupervisor(policy: policy())
        _ = supervisor.handle(.start, now: base)
        _ = supervisor.handle(.spawned(pid: 5), now: base)
        XCTAssertEqual(
            supervisor.handle(.restart, now: at(1)),
            [.cancel(.startDeadline), .signal(.terminate), .schedule(.kill, after: .seconds(5))]
        )
        XCTAssertEqual(supervisor.state, .stopping)
        XCTAssertEqual(supervisor.handle(.exited(reason: "exit status 0"), now: at(2)), exitCleanup + startActions)
        XCTAssertEqual(supervisor.state, .starting)
        XCTAssertEqual(supervisor.restarts, 1)
    }

    func testRestartWhileStoppedOrBackingOffStartsAtOnce() {
        var stopped = PluginSupervisor(policy: policy())
        XCTAssertEqual(stopped.handle(.restart, now: base), startActions)
        XCTAssertEqual(stopped.state, .starting)

        var backingOff = ready()
        _ = backingOff.handle(.exited(reason: "crash"), now: at(1))
        XCTAssertEqual(backingOff.handle(.restart, now: at(1)), startActions)
        XCTAssertEqual(backingOff.state, .starting)
        XCTAssertEqual(backingOff.restarts, 1)

        var started = ready()
        _ = started.handle(.exited(reason: "crash"), now: at(1))
        XCTAssertEqual(started.handle(.start, now: at(1)), startActions, "start during backoff skips the wait")
        XCTAssertEqual(started.state, .starting)
    }

    // MARK: Start timeout

    func testStartTimeoutKillsAndCountsAsACrash() {
        var supervisor = PluginSupervisor(policy: policy())
        _ = supervisor.handle(.start, now: base)
        _ = supervisor.handle(.spawned(pid: 77), now: base)
        XCTAssertEqual(supervisor.handle(.timerFired(.startDeadline), now: at(15)), [.signal(.kill)])
        XCTAssertEqual(supervisor.state, .stopping)
        XCTAssertEqual(supervisor.reason, "start timed out")
        XCTAssertEqual(supervisor.pid, 77)

        XCTAssertEqual(
            supervisor.handle(.exited(reason: "killed by signal 9"), now: at(15)),
            exitCleanup + [.schedule(.restart, after: .seconds(1))]
        )
        XCTAssertEqual(supervisor.state, .backingOff)
        XCTAssertEqual(supervisor.recentCrashes, [at(15)])
        XCTAssertTrue(supervisor.reason.contains("did not register"), supervisor.reason)
        XCTAssertNil(supervisor.pid)
        XCTAssertEqual(supervisor.nextStart, at(16))
    }

    func testStartTimeoutWithRestartNeverLeavesItCrashed() {
        var supervisor = PluginSupervisor(policy: policy(restart: .never))
        _ = supervisor.handle(.start, now: base)
        _ = supervisor.handle(.timerFired(.startDeadline), now: at(15))
        XCTAssertEqual(supervisor.handle(.exited(reason: "killed"), now: at(15)), exitCleanup)
        XCTAssertEqual(supervisor.state, .crashed)
    }

    // MARK: Health

    func testHealthFailuresBelowTheLimitDegradeAndAPassRecovers() {
        var supervisor = ready(policy(unhealthyLimit: 3))
        XCTAssertEqual(supervisor.handle(.healthFailed(reason: "timeout"), now: at(5)), [])
        XCTAssertEqual(supervisor.state, .degraded)
        XCTAssertEqual(supervisor.failedHealthChecks, 1)
        XCTAssertTrue(supervisor.reason.contains("1 of 3"), supervisor.reason)
        XCTAssertTrue(supervisor.reason.contains("timeout"), supervisor.reason)

        XCTAssertEqual(supervisor.handle(.healthFailed(reason: "timeout"), now: at(10)), [])
        XCTAssertEqual(supervisor.state, .degraded)
        XCTAssertEqual(supervisor.failedHealthChecks, 2)

        XCTAssertEqual(supervisor.handle(.healthPassed, now: at(15)), [])
        XCTAssertEqual(supervisor.state, .ready)
        XCTAssertEqual(supervisor.failedHealthChecks, 0)
        XCTAssertEqual(supervisor.reason, "")

        // The count starts again after a pass.
        XCTAssertEqual(supervisor.handle(.healthFailed(reason: "timeout"), now: at(20)), [])
        XCTAssertEqual(supervisor.state, .degraded)
        XCTAssertEqual(supervisor.failedHealthChecks, 1)
    }

    func testHealthPassedWhileReadyChangesNothing() {
        var supervisor = ready()
        XCTAssertEqual(supervisor.handle(.healthPassed, now: at(5)), [])
        XCTAssertEqual(supervisor.state, .ready)
    }

    func testTooManyHealthFailuresRestartAsACrash() {
        var supervisor = ready(policy(unhealthyLimit: 3))
        XCTAssertEqual(supervisor.handle(.healthFailed(reason: "a"), now: at(5)), [])
        XCTAssertEqual(supervisor.handle(.healthFailed(reason: "b"), now: at(10)), [])
        XCTAssertEqual(supervisor.handle(.healthFailed(reason: "NOT_SERVING"), now: at(15)), stopActions)
        XCTAssertEqual(supervisor.state, .stopping)
        XCTAssertEqual(supervisor.reason, "unhealthy")
        XCTAssertEqual(supervisor.failedHealthChecks, 3)

        XCTAssertEqual(
            supervisor.handle(.exited(reason: "exit status 0"), now: at(16)),
            exitCleanup + [.schedule(.restart, after: .seconds(1))]
        )
        XCTAssertEqual(supervisor.state, .backingOff)
        XCTAssertEqual(supervisor.recentCrashes, [at(16)])
        XCTAssertTrue(supervisor.reason.contains("failed 3 health checks in a row"), supervisor.reason)
        XCTAssertTrue(supervisor.reason.contains("NOT_SERVING"), supervisor.reason)
    }

    func testHealthLimitOfOneStopsAtTheFirstFailure() {
        var supervisor = ready(policy(unhealthyLimit: 1))
        XCTAssertEqual(supervisor.handle(.healthFailed(reason: "x"), now: at(1)), stopActions)
        XCTAssertEqual(supervisor.state, .stopping)
    }

    func testHealthDegradedAndBack() {
        var supervisor = ready()
        XCTAssertEqual(supervisor.handle(.healthDegraded(reason: "database slow"), now: at(1)), [])
        XCTAssertEqual(supervisor.state, .degraded)
        XCTAssertEqual(supervisor.reason, "database slow")
        XCTAssertTrue(supervisor.hasProcess)
        XCTAssertEqual(supervisor.handle(.healthDegraded(reason: "still slow"), now: at(2)), [])
        XCTAssertEqual(supervisor.reason, "still slow")
        XCTAssertEqual(supervisor.handle(.healthPassed, now: at(3)), [])
        XCTAssertEqual(supervisor.state, .ready)
        XCTAssertEqual(supervisor.reason, "")
    }

    func testExitWhileDegradedIsACrash() {
        var supervisor = ready()
        _ = supervisor.handle(.healthDegraded(reason: "slow"), now: at(1))
        XCTAssertEqual(
            supervisor.handle(.exited(reason: "exit status 2"), now: at(2)),
            [.withdrawRoutes, .cancel(.startDeadline), .schedule(.restart, after: .seconds(1))]
        )
        XCTAssertEqual(supervisor.state, .backingOff)
    }

    // MARK: Events that do not apply

    func testEventsThatDoNotApplyChangeNothing() {
        func assertIgnored(
            _ supervisor: PluginSupervisor,
            _ events: [PluginSupervisor.Event],
            line: UInt = #line
        ) {
            for event in events {
                var copy = supervisor
                XCTAssertEqual(copy.handle(event, now: at(100)), [], "\(supervisor.state) + \(event)", line: line)
                XCTAssertEqual(copy.state, supervisor.state, "\(supervisor.state) + \(event)", line: line)
                XCTAssertEqual(copy.pid, supervisor.pid, "\(event)", line: line)
                XCTAssertEqual(copy.reason, supervisor.reason, "\(event)", line: line)
                XCTAssertEqual(copy.restarts, supervisor.restarts, "\(event)", line: line)
                XCTAssertEqual(copy.recentCrashes, supervisor.recentCrashes, "\(event)", line: line)
                XCTAssertEqual(copy.failedHealthChecks, supervisor.failedHealthChecks, "\(event)", line: line)
            }
        }

        let stopped = PluginSupervisor(policy: policy())
        assertIgnored(
            stopped,
            [
                .spawned(pid: 1), .spawnFailed(reason: "x"), .ready, .healthPassed, .healthFailed(reason: "x"),
                .healthDegraded(reason: "x"), .exited(reason: "x"), .stop(reason: "x"), .timerFired(.startDeadline),
                .timerFired(.restart), .timerFired(.terminate), .timerFired(.kill),
            ]
        )

        var starting = PluginSupervisor(policy: policy())
        _ = starting.handle(.start, now: base)
        _ = starting.handle(.spawned(pid: 3), now: base)
        assertIgnored(
            starting,
            [
                .start, .healthPassed, .healthFailed(reason: "x"), .healthDegraded(reason: "x"),
                .timerFired(.restart), .timerFired(.terminate), .timerFired(.kill),
            ]
        )

        let readyOne = ready()
        assertIgnored(
            readyOne,
            [
                .start, .spawned(pid: 99), .spawnFailed(reason: "x"), .ready, .timerFired(.startDeadline),
                .timerFired(.restart), .timerFired(.terminate), .timerFired(.kill),
            ]
        )

        var degraded = ready()
        _ = degraded.handle(.healthFailed(reason: "x"), now: at(1))
        assertIgnored(degraded, [.start, .ready, .spawned(pid: 99), .timerFired(.startDeadline), .timerFired(.kill)])

        var stopping = ready()
        _ = stopping.handle(.stop(reason: "bye"), now: at(1))
        assertIgnored(
            stopping,
            [
                .spawned(pid: 99), .spawnFailed(reason: "x"), .ready, .healthPassed, .healthFailed(reason: "x"),
                .healthDegraded(reason: "x"), .timerFired(.startDeadline), .timerFired(.restart),
            ]
        )

        var backingOff = ready()
        _ = backingOff.handle(.exited(reason: "x"), now: at(1))
        assertIgnored(
            backingOff,
            [
                .spawned(pid: 99), .ready, .healthPassed, .healthFailed(reason: "x"), .exited(reason: "x"),
                .timerFired(.startDeadline), .timerFired(.terminate), .timerFired(.kill),
            ]
        )

        var crashed = ready(policy(restart: .never))
        _ = crashed.handle(.exited(reason: "x"), now: at(1))
        assertIgnored(
            crashed,
            [.ready, .healthPassed, .exited(reason: "x"), .timerFired(.restart), .timerFired(.kill)]
        )

        var quarantined = ready(policy(crashLimit: 1))
        _ = quarantined.handle(.exited(reason: "x"), now: at(1))
        assertIgnored(
            quarantined,
            [.ready, .healthPassed, .exited(reason: "x"), .timerFired(.restart), .spawned(pid: 1)]
        )
    }

    func testStartWhileReadyDoesNotRespawn() {
        var supervisor = ready()
        XCTAssertEqual(supervisor.handle(.start, now: at(1)), [])
        XCTAssertEqual(supervisor.state, .ready)
        XCTAssertEqual(supervisor.pid, 42)
        XCTAssertEqual(supervisor.restarts, 0)
    }

    func testStateNames() {
        XCTAssertEqual(PluginSupervisor.State.backingOff.rawValue, "backing-off")
        XCTAssertEqual(
            PluginSupervisor.State.allCases.map(\.rawValue),
            ["stopped", "starting", "ready", "degraded", "stopping", "crashed", "backing-off", "quarantined"]
        )
    }

    // MARK: A busy host is not a sick plugin

    func testInconclusiveHealthChecksCountNothing() {
        var supervisor = ready(policy(unhealthyLimit: 2))
        for second in 1...20 {
            XCTAssertEqual(
                supervisor.handle(
                    .healthInconclusive(reason: "the host is busy (event loops 3.1 s late)"),
                    now: at(second)
                ),
                []
            )
        }
        XCTAssertEqual(supervisor.state, .ready)
        XCTAssertEqual(supervisor.failedHealthChecks, 0)
        XCTAssertEqual(supervisor.inconclusiveHealthChecks, 20)
        XCTAssertEqual(supervisor.recentCrashes, [])
        XCTAssertEqual(supervisor.restarts, 0)
        XCTAssertEqual(supervisor.reason, "health check inconclusive: the host is busy (event loops 3.1 s late)")

        // A pass clears the note; the plugin's own failures still count, inconclusive ones in between or not.
        XCTAssertEqual(supervisor.handle(.healthPassed, now: at(21)), [])
        XCTAssertEqual(supervisor.reason, "")
        XCTAssertEqual(supervisor.handle(.healthFailed(reason: "connection refused"), now: at(22)), [])
        XCTAssertEqual(supervisor.state, .degraded)
        XCTAssertEqual(supervisor.handle(.healthInconclusive(reason: "the host is busy"), now: at(23)), [])
        XCTAssertEqual(supervisor.state, .degraded)
        XCTAssertEqual(supervisor.failedHealthChecks, 1, "neither reset nor counted")
        XCTAssertTrue(supervisor.reason.contains("health check failed (1 of 2)"), supervisor.reason)
        XCTAssertEqual(supervisor.handle(.healthFailed(reason: "NOT_SERVING"), now: at(24)), stopActions)
        XCTAssertEqual(supervisor.state, .stopping)
    }

    func testOnlyATimeoutWhileTheHostRanLateIsInconclusive() {
        let timedOut = PluginSupervisor.Event.healthFailed(reason: "DEADLINE_EXCEEDED: Health did not finish")
        let late = EventLoopLag.Lateness(loop: "control loop", lag: .milliseconds(1_400))
        XCTAssertEqual(
            PluginFleet.judge(timedOut, timedOut: true, hostLate: late, timeout: .seconds(2)),
            .healthInconclusive(reason: "the host is busy (control loop 1.4 s late)")
        )
        // The host kept time, or was late by less than half the timeout: the plugin's own failure.
        XCTAssertEqual(PluginFleet.judge(timedOut, timedOut: true, hostLate: nil, timeout: .seconds(2)), timedOut)
        let slightly = EventLoopLag.Lateness(loop: "event loops", lag: .milliseconds(900))
        XCTAssertEqual(PluginFleet.judge(timedOut, timedOut: true, hostLate: slightly, timeout: .seconds(2)), timedOut)
        // Refused, NOT_SERVING: the plugin's, however busy the host.
        let refused = PluginSupervisor.Event.healthFailed(reason: "UNAVAILABLE: connection refused")
        XCTAssertEqual(PluginFleet.judge(refused, timedOut: false, hostLate: late, timeout: .seconds(2)), refused)
        let notServing = PluginSupervisor.Event.healthFailed(reason: "it answered notServing")
        XCTAssertEqual(PluginFleet.judge(notServing, timedOut: false, hostLate: late, timeout: .seconds(2)), notServing)
        XCTAssertEqual(
            PluginFleet.judge(.healthPassed, timedOut: false, hostLate: late, timeout: .seconds(2)),
            .healthPassed
        )
    }

    func testInconclusiveHealthCheckWhileNotRunningIsIgnored() {
        var starting = PluginSupervisor(policy: policy())
        _ = starting.handle(.start, now: base)
        XCTAssertEqual(starting.handle(.healthInconclusive(reason: "busy"), now: at(1)), [])
        XCTAssertEqual(starting.state, .starting)
        XCTAssertEqual(starting.inconclusiveHealthChecks, 0)
    }

    func testStartDeadlineIsExtendedOnceWhenTheHostIsBusy() {
        var supervisor = PluginSupervisor(policy: policy())
        _ = supervisor.handle(.start, now: base)
        _ = supervisor.handle(.spawned(pid: 8), now: base)
        XCTAssertEqual(
            supervisor.handle(
                .startDeadlineWhileHostBusy(lag: .milliseconds(3_400), reason: "the host is busy"),
                now: at(15)
            ),
            [.schedule(.startDeadline, after: .milliseconds(3_400))]
        )
        XCTAssertEqual(supervisor.state, .starting)
        XCTAssertTrue(supervisor.startDeadlineExtended)
        XCTAssertEqual(supervisor.reason, "start deadline extended by 3.4 s: the host is busy")

        // Only once: the next deadline is missed however busy the host is.
        XCTAssertEqual(
            supervisor.handle(.startDeadlineWhileHostBusy(lag: .seconds(5), reason: "the host is busy"), now: at(19)),
            [.signal(.kill)]
        )
        XCTAssertEqual(supervisor.state, .stopping)
        XCTAssertEqual(supervisor.reason, "start timed out")
        XCTAssertEqual(
            supervisor.handle(.exited(reason: "killed by signal 9"), now: at(19)),
            exitCleanup + [.schedule(.restart, after: .seconds(1))]
        )
        XCTAssertEqual(supervisor.recentCrashes, [at(19)])

        // A new start may be extended again; a start that gets ready in the extra time is simply ready.
        XCTAssertEqual(supervisor.handle(.timerFired(.restart), now: at(20)), startActions)
        XCTAssertFalse(supervisor.startDeadlineExtended)
        XCTAssertEqual(
            supervisor.handle(.startDeadlineWhileHostBusy(lag: .seconds(2), reason: "busy"), now: at(35)),
            [.schedule(.startDeadline, after: .seconds(2))]
        )
        XCTAssertEqual(supervisor.handle(.ready, now: at(36)), [.cancel(.startDeadline), .publishRoutes])
        XCTAssertEqual(supervisor.state, .ready)
        XCTAssertEqual(supervisor.reason, "")
    }

    // MARK: Transient spawn failures

    func testTransientSpawnFailureBacksOffWithoutACrash() {
        var supervisor = PluginSupervisor(policy: policy())
        _ = supervisor.handle(.start, now: base)
        XCTAssertEqual(
            supervisor.handle(.spawnFailed(reason: "too many open files", transient: true), now: at(1)),
            [.cancel(.startDeadline), .schedule(.restart, after: .seconds(1))]
        )
        XCTAssertEqual(supervisor.state, .backingOff)
        XCTAssertEqual(supervisor.reason, "could not start (too many open files); retrying in 1 s")
        XCTAssertEqual(supervisor.recentCrashes, [], "not a crash")
        XCTAssertEqual(supervisor.nextStart, at(2))
        XCTAssertEqual(supervisor.transientSpawnFailuresInRow, 1)

        // The usual backoff: the second in a row waits twice as long.
        XCTAssertEqual(supervisor.handle(.timerFired(.restart), now: at(2)), startActions)
        XCTAssertEqual(
            supervisor.handle(.spawnFailed(reason: "too many open files", transient: true), now: at(2)),
            [.cancel(.startDeadline), .schedule(.restart, after: .seconds(2))]
        )
        XCTAssertEqual(supervisor.reason, "could not start (too many open files); retrying in 2 s")
        XCTAssertEqual(supervisor.recentCrashes, [])

        // Once the host has the resource again, the plugin starts; the count of the row starts again.
        XCTAssertEqual(supervisor.handle(.timerFired(.restart), now: at(4)), startActions)
        _ = supervisor.handle(.spawned(pid: 50), now: at(4))
        XCTAssertEqual(supervisor.handle(.ready, now: at(5)), [.cancel(.startDeadline), .publishRoutes])
        XCTAssertEqual(supervisor.state, .ready)
        XCTAssertEqual(supervisor.transientSpawnFailuresInRow, 0)
        XCTAssertEqual(supervisor.transientSpawnFailures, 2)
        XCTAssertEqual(supervisor.recentCrashes, [])
    }

    func testTransientSpawnFailuresNeverQuarantineBelowTheLimit() {
        // crash limit 1: a single counted failure would quarantine.
        var supervisor = PluginSupervisor(policy: policy(backoffMaximum: .seconds(8), crashLimit: 1))
        _ = supervisor.handle(.start, now: base)
        var now = 0
        for attempt in 1...9 {
            XCTAssertEqual(
                supervisor.handle(
                    .spawnFailed(reason: "resource temporarily unavailable", transient: true),
                    now: at(now)
                ),
                [.cancel(.startDeadline), .schedule(.restart, after: supervisor.backoff(afterCrashes: attempt))],
                "attempt \(attempt)"
            )
            XCTAssertEqual(supervisor.state, .backingOff, "attempt \(attempt)")
            now += 10
            XCTAssertEqual(supervisor.handle(.timerFired(.restart), now: at(now)), startActions)
        }
        XCTAssertEqual(supervisor.recentCrashes, [])
        XCTAssertEqual(supervisor.transientSpawnFailuresInRow, 9)

        // The tenth in a row is a real failure, so that a host that can never start the plugin shows it.
        XCTAssertEqual(
            supervisor.handle(.spawnFailed(reason: "too many open files", transient: true), now: at(now)),
            [.cancel(.startDeadline)]
        )
        XCTAssertEqual(supervisor.state, .quarantined)
        XCTAssertEqual(supervisor.recentCrashes, [at(now)])
        XCTAssertTrue(
            supervisor.reason.contains("could not be started 10 times in a row: too many open files"),
            supervisor.reason
        )
        XCTAssertEqual(supervisor.transientSpawnFailuresInRow, 0)
        XCTAssertEqual(supervisor.transientSpawnFailures, 10)
    }

    func testTenTransientFailuresInARowCountAsOneCrash() {
        var supervisor = PluginSupervisor(policy: policy(backoffMaximum: .seconds(4), crashLimit: 3))
        _ = supervisor.handle(.start, now: base)
        for attempt in 1...9 {
            _ = supervisor.handle(.spawnFailed(reason: "out of memory", transient: true), now: at(attempt))
            XCTAssertEqual(supervisor.handle(.timerFired(.restart), now: at(attempt)), startActions)
        }
        XCTAssertEqual(
            supervisor.handle(.spawnFailed(reason: "out of memory", transient: true), now: at(10)),
            [.schedule(.restart, after: .seconds(1)), .cancel(.startDeadline)]
        )
        XCTAssertEqual(supervisor.state, .backingOff)
        XCTAssertEqual(supervisor.recentCrashes, [at(10)])

        // A crash breaks the row: the next transient failure is the first of a new one.
        XCTAssertEqual(supervisor.handle(.timerFired(.restart), now: at(11)), startActions)
        XCTAssertEqual(
            supervisor.handle(.spawnFailed(reason: "out of memory", transient: true), now: at(11)),
            [.cancel(.startDeadline), .schedule(.restart, after: .seconds(1))]
        )
        XCTAssertEqual(supervisor.recentCrashes, [at(10)])
        XCTAssertEqual(supervisor.transientSpawnFailuresInRow, 1)
    }

    func testAPermanentSpawnFailureStillCounts() {
        var supervisor = PluginSupervisor(policy: policy(crashLimit: 1))
        _ = supervisor.handle(.start, now: base)
        XCTAssertEqual(
            supervisor.handle(.spawnFailed(reason: "no such file or directory", transient: false), now: at(1)),
            [.cancel(.startDeadline)]
        )
        XCTAssertEqual(supervisor.state, .quarantined)
        XCTAssertEqual(supervisor.transientSpawnFailures, 0)
    }

    func testSpawnFailuresAreTransientOnlyForWantOfAResource() {
        for code in [EMFILE, ENFILE, EAGAIN, ENOMEM] {
            guard
                case .spawnFailed(let reason, transient: true) = SpawnFailure.event(
                    for: SystemError("pipe", errno: code)
                )
            else {
                XCTFail("errno \(code) is transient")
                continue
            }
            XCTAssertFalse(reason.isEmpty)
        }
        XCTAssertEqual(
            SpawnFailure.event(for: SystemError("pipe", errno: EMFILE)),
            .spawnFailed(reason: "too many open files", transient: true)
        )
        XCTAssertEqual(
            SpawnFailure.event(for: SystemError("start /opt/x", errno: ENOENT)),
            .spawnFailed(reason: "start /opt/x: No such file or directory", transient: false)
        )
        XCTAssertEqual(
            SpawnFailure.event(for: SystemError("start /opt/x", errno: EACCES)),
            .spawnFailed(reason: "start /opt/x: Permission denied", transient: false)
        )
        // A plugin's account that could not be made for want of descriptors (useradd not started) is as transient;
        // one refused for what it is is not.
        XCTAssertEqual(
            SpawnFailure.event(for: PluginAccountError("cannot create user gongzhi-alpha", errno: EMFILE)),
            .spawnFailed(reason: "too many open files", transient: true)
        )
        XCTAssertEqual(
            SpawnFailure.event(for: PluginAccountError("plugin alpha is refused: uid 0")),
            .spawnFailed(reason: "plugin alpha is refused: uid 0", transient: false)
        )
    }
}
