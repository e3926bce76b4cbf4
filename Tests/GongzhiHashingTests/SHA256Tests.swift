import Foundation
import GongzhiHashing
import GongzhiTestSeeds
import GongzhiTestSupport
import XCTest

/// Our SHA-256 against the FIPS 180-4 vectors, itself fed in pieces, and `sha256sum`.
final class SHA256Tests: XCTestCase {
    func testNISTShortVectors() {
        XCTAssertEqual(
            SHA256.hexHash(Array("".utf8)),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
        XCTAssertEqual(
            SHA256.hexHash(Array("abc".utf8)),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        )
        XCTAssertEqual(
            SHA256.hexHash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        )
        XCTAssertEqual(
            SHA256.hexHash(
                Array(
                    ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
                        + "lmnopqrsmnopqrstnopqrstu").utf8
                )
            ),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        )
    }

    func testNISTOneMillionA() {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        XCTAssertEqual(SHA256.hexHash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)), expected)

        // The same million bytes in uneven pieces.
        var hasher = SHA256()
        var remaining = 1_000_000
        var piece = 1
        while remaining > 0 {
            let count = min(piece, remaining)
            hasher.update([UInt8](repeating: UInt8(ascii: "a"), count: count))
            remaining -= count
            piece = piece * 3 % 997 + 1
        }
        XCTAssertEqual(hexString(hasher.finalize()), expected)
    }

    func testHashIsThirtyTwoBytesAndHexIsLowerCase() {
        let digest = SHA256.hash(Array("abc".utf8))
        XCTAssertEqual(digest.count, 32)
        XCTAssertEqual(Array(digest.prefix(4)), [0xba, 0x78, 0x16, 0xbf])
        XCTAssertEqual(hexString([0x00, 0x0f, 0xa0, 0xff]), "000fa0ff")
        XCTAssertEqual(hexString([]), "")
    }

    func testSplitAtEveryOffsetEqualsOneShot() {
        let input = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let expected = SHA256.hash(input)
        for split in 0...130 {
            var hasher = SHA256()
            hasher.update(Array(input[..<split]))
            hasher.update(Array(input[split...]))
            XCTAssertEqual(hasher.finalize(), expected, "split at \(split)")

            // Three pieces, through the raw-buffer entry point.
            var raw = SHA256()
            let second = min(split + 64, input.count)
            input.withUnsafeBytes { all in
                raw.update(UnsafeRawBufferPointer(rebasing: all[0..<split]))
                raw.update(UnsafeRawBufferPointer(rebasing: all[split..<second]))
                raw.update(UnsafeRawBufferPointer(rebasing: all[second...]))
            }
            XCTAssertEqual(raw.finalize(), expected, "three pieces split at \(split) and \(second)")
        }
    }

    func testByteAtATimeEqualsOneShot() {
        let input = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 101) }
        var hasher = SHA256()
        for byte in input { hasher.update([byte]) }
        XCTAssertEqual(hasher.finalize(), SHA256.hash(input))
    }

    func testEmptyUpdatesChangeNothing() {
        var hasher = SHA256()
        hasher.update([])
        hasher.update(Array("ab".utf8))
        hasher.update([])
        hasher.update(Array("c".utf8))
        XCTAssertEqual(hexString(hasher.finalize()), SHA256.hexHash(Array("abc".utf8)))
    }

    /// Every length around the padding boundaries (55, 56, 63, 64, 119, 120, 128) agrees with sha256sum.
    func testPaddingBoundariesAgreeWithSha256sum() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var generator = seededRandom()
        let data = (0..<130).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var paths: [String] = []
        var expected: [String: String] = [:]
        for length in 0...130 {
            let path = directory.file("len-\(length)")
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(data.prefix(length))))
            paths.append(path)
            expected[path] = SHA256.hexHash(data.prefix(length))
        }
        let sums = try await sha256sum(paths, in: directory)
        XCTAssertEqual(sums.count, paths.count)
        for (path, digest) in expected {
            XCTAssertEqual(sums[path], digest, path)
        }
    }

    func testMegabyteFileAgreesWithSha256sum() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var generator = seededRandom()
        let bytes = (0..<(1 << 20) + 12_345).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let path = directory.file("random.bin")
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))

        let reference = try await sha256sum([path], in: directory)[path]
        XCTAssertNotNil(reference)
        XCTAssertEqual(SHA256.hexHash(bytes), reference)
    }

    /// Runs /usr/bin/sha256sum on files; answers digest by path.
    private func sha256sum(_ paths: [String], in directory: TemporaryDirectory) async throws -> [String: String] {
        let tool = "/usr/bin/sha256sum"
        guard FileManager.default.isExecutableFile(atPath: tool) else { throw XCTSkip("\(tool) is not installed") }
        let child = try ChildProcess(tool, paths, outputPath: directory.file("sha256sum.out"))
        let status = await child.waitForExit(timeout: .seconds(60))
        XCTAssertEqual(status, 0, child.output)
        var sums: [String: String] = [:]
        for line in child.output.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            sums[String(parts[1].drop { $0 == " " || $0 == "*" })] = String(parts[0])
        }
        return sums
    }
}
