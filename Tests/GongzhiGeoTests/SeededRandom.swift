import Foundation
import XCTest

/// A small deterministic generator (SplitMix64): a randomised test draws its values from one seed, and the same
/// seed gives the same values again. (This test target has no test-support module; the tests that have one share
/// the same generator and seeding there.)
struct SplitMix64: RandomNumberGenerator {
    /// The seed the generator started from: what a test prints when it fails, to be replayed.
    let seed: UInt64
    private var state: UInt64

    init(seed: UInt64) {
        self.seed = seed
        self.state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension XCTestCase {
    /// A generator for the test's random values, seeded from `GONGZHI_TEST_SEED` or afresh on every run; when the
    /// test fails, it prints the seed, so that the same values can be drawn again.
    func seededRandom() -> SplitMix64 {
        let variable = "GONGZHI_TEST_SEED"
        var system = SystemRandomNumberGenerator()
        var seed = system.next()
        if let text = ProcessInfo.processInfo.environment[variable]?.trimmingCharacters(in: .whitespaces),
            !text.isEmpty
        {
            let given = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
            guard let given else {
                XCTFail(
                    "\(variable)=\(text) is not a seed; give the number a failed test printed "
                        + "(decimal, or hexadecimal starting with 0x)"
                )
                return SplitMix64(seed: 0)
            }
            seed = given
        }
        let test = name
        addTeardownBlock { [weak self, seed] in
            if let run = self?.testRun, run.totalFailureCount > 0 {
                print("\(test) drew its random values from seed \(seed); replay them with \(variable)=\(seed)")
            }
        }
        return SplitMix64(seed: seed)
    }
}
