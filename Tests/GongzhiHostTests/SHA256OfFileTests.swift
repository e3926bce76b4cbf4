import Foundation
import GongzhiHashing
import GongzhiTestSupport
import XCTest

@testable import GongzhiHost

/// `sha256OfFile`: a file read in blocks hashes as its bytes do.
final class SHA256OfFileTests: XCTestCase {
    func testAFileOfSeveralUnevenBlocksHashesAsItsBytes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(1 << 20) + 12_345).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let path = directory.file("random.bin")
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        XCTAssertEqual(try sha256OfFile(path), SHA256.hexHash(bytes))
    }

    func testSha256OfFileOfSmallAndEmptyFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let empty = directory.file("empty")
        let abc = directory.file("abc")
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        XCTAssertTrue(FileManager.default.createFile(atPath: abc, contents: Data("abc".utf8)))
        XCTAssertEqual(try sha256OfFile(empty), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(try sha256OfFile(abc), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testSha256OfMissingFileThrows() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let missing = directory.file("missing")
        XCTAssertThrowsError(try sha256OfFile(missing)) { error in
            guard let error = error as? SystemError else { return XCTFail("\(error) is not a SystemError") }
            XCTAssertEqual(error.errno, ENOENT)
            XCTAssertTrue(error.description.contains(missing), error.description)
        }
    }
}
