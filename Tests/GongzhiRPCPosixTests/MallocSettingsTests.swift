import GongzhiRPCPosix
import XCTest

/// The allocator thresholds are set where the C library is glibc (every Linux deployment).
final class MallocSettingsTests: XCTestCase {
    func testGlibcTakesTheThresholds() throws {
        #if os(Linux) && canImport(Glibc)
        XCTAssertTrue(MallocSettings.apply(), "mallopt refused M_MMAP_THRESHOLD or M_TRIM_THRESHOLD")
        #else
        throw XCTSkip("the allocator thresholds are glibc's")
        #endif
    }
}
