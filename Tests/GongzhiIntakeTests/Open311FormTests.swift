import GongzhiIntake
import GongzhiIntakeSchemas
import XCTest

final class Open311FormTests: XCTestCase {
    private func refusal(_ body: String) -> InputError? {
        do {
            _ = try Open311Form.decode(body)
            return nil
        } catch {
            return error
        }
    }

    func testTheSpecsExampleRequest() throws {
        // The example POST body of GeoReport v2.
        let form = try Open311Form.decode(
            "api_key=xyz&jurisdiction_id=city.gov&service_code=001&lat=37.76524078&long=-122.4212043"
                + "&address_string=1234+5th+street&email=smit333%40sfgov.edu&device_id=tt222111&account_id=123456"
                + "&first_name=john&last_name=smith&phone=111111111"
                + "&description=A+large+sinkhole+is+destroying+the+street"
                + "&media_url=http%3A%2F%2Ffarm3.static.flickr.com%2F2002%2F2212426634_5ed477a060.jpg"
                + "&attribute[WHISPAWN]=123456&attribute[WHISDORN]=COISL001"
        )
        XCTAssertEqual(form.apiKey, "xyz")
        let request = form.request
        XCTAssertEqual(request.jurisdictionID, "city.gov")
        XCTAssertEqual(request.serviceCode, "001")
        XCTAssertEqual(request.lat, 37.76524078)
        XCTAssertEqual(request.long, -122.4212043)
        XCTAssertEqual(request.addressString, "1234 5th street")
        XCTAssertEqual(request.email, "smit333@sfgov.edu")
        XCTAssertEqual(request.deviceID, "tt222111")
        XCTAssertEqual(request.accountID, "123456")
        XCTAssertEqual(request.firstName, "john")
        XCTAssertEqual(request.lastName, "smith")
        XCTAssertEqual(request.phone, "111111111")
        XCTAssertEqual(request.description_p, "A large sinkhole is destroying the street")
        XCTAssertEqual(request.mediaURL, "http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg")
        XCTAssertEqual(request.attributes.map(\.code), ["WHISPAWN", "WHISDORN"])
        XCTAssertEqual(request.attributes.map(\.values), [["123456"], ["COISL001"]])
    }

    func testChineseTextAndAMultivaluelist() throws {
        let form = try Open311Form.decode(
            "service_code=E0405&address_id=B-12&description=%E4%B8%8B%E7%A9%BF%E9%9A%A7%E9%81%93%E7%A7%AF%E6%B0%B4"
                + "%0A%E7%AC%AC%E4%BA%8C%E8%A1%8C&attribute%5Bkinds%5D%5B%5D=a&attribute[kinds][]=b+c"
        )
        XCTAssertEqual(form.request.description_p, "下穿隧道积水\n第二行")
        XCTAssertEqual(form.request.addressID, "B-12")
        XCTAssertFalse(form.request.hasLat)
        XCTAssertEqual(form.request.attributes.count, 1)
        XCTAssertEqual(form.request.attributes.first?.values, ["a", "b c"])
        XCTAssertEqual(form.apiKey, "")
    }

    func testLatWithoutLongIsRefused() {
        let error = refusal("service_code=001&lat=30.27")
        XCTAssertEqual(error?.code, "field.missing")
        XCTAssertEqual(error?.column, 18)
        XCTAssertEqual(error?.message, "\"lat\" is given without a longitude; give both or neither")
        XCTAssertEqual(refusal("service_code=001&long=120.1")?.code, "field.missing")
        XCTAssertEqual(refusal("service_code=001&lat=abc&long=120")?.code, "field.type")
        XCTAssertEqual(refusal("service_code=001&lat=91&long=120")?.code, "value.implausible")
    }

    func testADescriptionOverFourThousandCharactersIsRefused() {
        let exactly = String(repeating: "%E6%B0%B4", count: 4_000)
        XCTAssertNil(refusal("service_code=001&address_id=1&description=" + exactly))
        let error = refusal("service_code=001&address_id=1&description=" + exactly + "x")
        XCTAssertEqual(error?.code, "field.too_long")
        XCTAssertEqual(error?.column, 31)
    }

    func testMissingServiceCodeOrLocation() {
        XCTAssertEqual(
            refusal("lat=1&long=2")?.message,
            "\"service_code\" is required: the code of a service from services.json"
        )
        XCTAssertEqual(
            refusal("service_code=001&description=x")?.message,
            "a location is required: lat and long, address_string or address_id"
        )
        XCTAssertEqual(refusal("service_code=+&address_id=1")?.code, "field.missing")
    }

    func testBrokenEscapesAndRepeatsAreRefusedWithTheirColumn() {
        let broken = refusal("service_code=001&address_id=1&description=50%25+off+%ZZ")
        XCTAssertEqual(broken?.code, "form.encoding")
        XCTAssertEqual(broken?.column, 53)
        XCTAssertEqual(refusal("service_code=001&address_id=1&description=%E6%B0")?.code, "form.encoding")
        XCTAssertEqual(refusal("service_code=001&address_id=1&description=%4")?.code, "form.encoding")
        let repeated = refusal("service_code=001&service_code=002&address_id=1")
        XCTAssertEqual(repeated?.code, "field.repeated")
        XCTAssertEqual(repeated?.column, 18)
        XCTAssertEqual(refusal("service_code=001&address_id=1&attribute[a]=1&attribute[a]=2")?.code, "field.repeated")
    }

    func testUnknownParametersAndEmptyPairsAreIgnored() throws {
        let form = try Open311Form.decode("&service_code=001&&zipcode=94122&address_string=x&")
        XCTAssertEqual(form.request.serviceCode, "001")
        XCTAssertEqual(form.request.addressString, "x")
    }

    func testQueryParametersKeepOrderAndRepeatsAndDecodeEscapes() throws {
        let pairs = try Open311Form.parameters("service_code=E0405%2CP0103&status=open&&flag&q=%E7%A7%AF+%E6%B0%B4&q=2")
        XCTAssertEqual(pairs.map(\.name), ["service_code", "status", "flag", "q", "q"])
        XCTAssertEqual(pairs.map(\.value), ["E0405,P0103", "open", "", "积 水", "2"])
        XCTAssertThrowsError(try Open311Form.parameters("a=1&b=%G1")) { error in
            XCTAssertEqual((error as? InputError)?.code, "form.encoding")
            XCTAssertEqual((error as? InputError)?.column, 7)
        }
    }
}
