import GongzhiTestSupport
import XCTest

extension XCTestCase {
    /// A generator for the test's random values, seeded from `GONGZHI_TEST_SEED` or afresh on every run; when the
    /// test fails, it prints the seed, so that the same values can be drawn again.
    func seededRandom() -> SplitMix64 {
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
