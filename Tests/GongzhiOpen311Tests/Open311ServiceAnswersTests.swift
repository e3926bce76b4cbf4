import GongzhiIntake
import GongzhiIntakeSchemas
import XCTest

@testable import GongzhiOpen311

final class Open311ServiceAnswersTests: XCTestCase {
    let service = Open311Service(
        code: "E0405",
        name: "道路积水",
        attributes: [
            .init(code: "depth", datatype: .number, required: true, description: "积水深度（厘米）"),
            .init(code: "seen", datatype: .datetime, required: false, description: ""),
            .init(
                code: "channel",
                datatype: .singlevaluelist,
                required: false,
                description: "",
                values: [(key: "phone", name: "电话")]
            ),
            .init(variable: false, code: "note", datatype: .text, required: true, description: "仅供参考"),
        ]
    )

    func answers(_ pairs: [(String, [String])]) -> [Gongzhi_Intake_V1_Attribute] {
        pairs.map { code, values in
            var attribute = Gongzhi_Intake_V1_Attribute()
            attribute.code = code
            attribute.values = values
            return attribute
        }
    }

    func testAnswersThatFitTheDefinition() {
        XCTAssertEqual(
            service.problems(
                with: answers([("depth", ["20.5"]), ("seen", ["2026-12-07T09:30:00+08:00"]), ("channel", ["phone"])])
            ),
            []
        )
        // An empty value is no answer; an attribute that only informs is never required.
        XCTAssertEqual(service.problems(with: answers([("depth", ["3"]), ("channel", [""]), ("note", [""])])), [])
    }

    func testEachProblemNamesItsAttribute() {
        XCTAssertEqual(
            service.problems(
                with: answers([
                    ("seen", ["yesterday"]), ("channel", ["fax"]), ("colour", ["red"]), ("note", ["x"]),
                    ("channel", ["phone", "phone"]),
                ])
            ),
            [
                "attribute[seen] must be a date and time with its zone, such as 2026-12-07T10:00:00+08:00, not "
                    + "\"yesterday\"",
                "attribute[channel] takes one of phone, not \"fax\"",
                "service E0405 has no attribute[colour]; GET services/E0405.json lists its attributes",
                "attribute[note] of service E0405 only informs and takes no answer",
                "attribute[channel] takes one value (singlevaluelist), not 2",
                "attribute[depth] (积水深度（厘米）) is required for service E0405",
            ]
        )
        XCTAssertEqual(
            service.problems(with: answers([("depth", ["deep"])])),
            ["attribute[depth] must be a number, not \"deep\""]
        )
    }
}
