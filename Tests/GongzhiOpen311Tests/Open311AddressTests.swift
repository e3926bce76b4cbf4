import GongzhiOpen311
import XCTest

final class Open311AddressTests: XCTestCase {
    func testHostAndPort() {
        XCTAssertEqual(Open311Address("127.0.0.1:8311"), Open311Address(host: "127.0.0.1", port: 8311))
        XCTAssertEqual(Open311Address("localhost:0"), Open311Address(host: "localhost", port: 0))
        XCTAssertEqual(Open311Address("[::1]:8311"), Open311Address(host: "::1", port: 8311))
        XCTAssertEqual(Open311Address(host: "::1", port: 8311).description, "[::1]:8311")
        XCTAssertEqual(Open311Address(host: "0.0.0.0", port: 80).description, "0.0.0.0:80")
    }

    func testWhatIsNotAnAddress() {
        for text in ["8311", ":8311", "host:", "host:65536", "host:-1", "::1:8311", "[]:1", "host:port"] {
            XCTAssertNil(Open311Address(text), text)
        }
    }
}
