import Foundation
import XCTest

/// A small deterministic generator (SplitMix64): a randomised test draws its values from one seed, and the same
/// seed gives the same values again.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The seed the generator started from: what a test prints when it fails, to be replayed.
    public let seed: UInt64
    private var state: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The seed of a randomised test: the one in `GONGZHI_TEST_SEED` when it is set (to replay a failure), or a
/// fresh one on every run, so that runs explore different values and a failure names the seed that found it.
public enum TestSeed {
    /// The environment variable that replays a seed, e.g. `GONGZHI_TEST_SEED=0x5eed swift test --filter …`.
    public static let variable = "GONGZHI_TEST_SEED"

    /// The seed to use: the variable's, or a fresh one. Fails when the variable holds something else than a
    /// seed, saying so.
    public static func draw() -> Result<UInt64, TestSeedError> {
        guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else {
            var system = SystemRandomNumberGenerator()
            return .success(system.next())
        }
        guard let seed = parse(text) else {
            return .failure(
                TestSeedError(
                    description: "\(variable)=\(text) is not a seed; give the number a failed test printed "
                        + "(decimal, or hexadecimal starting with 0x)"
                )
            )
        }
        return .success(seed)
    }

    /// A seed written in decimal or as hexadecimal with `0x`.
    public static func parse(_ text: String) -> UInt64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("0x") || trimmed.hasPrefix("0X") {
            return UInt64(trimmed.dropFirst(2), radix: 16)
        }
        return UInt64(trimmed)
    }

    /// What a failed test prints about its seed.
    public static func replayHint(_ seed: UInt64, test: String) -> String {
        "\(test) drew its random values from seed \(seed); replay them with \(variable)=\(seed)"
    }
}

/// A seed that could not be read.
public struct TestSeedError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

extension XCTestCase {
    /// A generator for the test's random values, seeded from `GONGZHI_TEST_SEED` or afresh on every run; when the
    /// test fails, it prints the seed, so that the same values can be drawn again.
    public func seededRandom() -> SplitMix64 {
        let seed: UInt64
        switch TestSeed.draw() {
        case .success(let drawn):
            seed = drawn
        case .failure(let error):
            XCTFail("\(error)")
            return SplitMix64(seed: 0)
        }
        let test = name
        addTeardownBlock { [weak self] in
            if let run = self?.testRun, run.totalFailureCount > 0 {
                print(TestSeed.replayHint(seed, test: test))
            }
        }
        return SplitMix64(seed: seed)
    }
}
