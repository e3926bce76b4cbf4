import Foundation
import GongzhiControlTestSupport
import GongzhiDocuments
import GongzhiSchemas
import XCTest

@testable import GongzhiControl

/// Documents in JSON, JSON lines and YAML: what they become, and how their problems are named.
final class ObjectDocumentTests: XCTestCase {
    private let catalog = KindCatalog(Fixtures.kinds)

    private func items(_ text: String, name: String) throws -> [ApplyItem] {
        let documents = try GongzhiControl.Apply.documents(in: [(name, Array(text.utf8))])
        return try GongzhiControl.Apply.items(documents, catalog: catalog)
    }

    /// The message `apply` refuses the text with, or nil.
    private func problem(_ text: String, name: String) -> String? {
        do {
            _ = try items(text, name: name)
            return nil
        } catch {
            XCTAssertEqual((error as? ControlError)?.exitCode, ControlExitCode.failed)
            return (error as? ControlError)?.message ?? "\(error)"
        }
    }

    func testAJSONDocument() throws {
        let text = """
            {
              "kind": "Resident",
              "id": "r-0001",
              "parent": "h-0001",
              "labels": {"grid": "110105001001001", "tag": "elderly"},
              "data": {
                "id": "r-0001", "name": "王秀英", "phone": "13800000000", "gender": "GENDER_FEMALE",
                "birthDate": "1941-03-08", "household_id": "h-0001", "tags": ["TAG_LIVING_ALONE", "TAG_ELDERLY"],
                "registeredHere": true
              },
              "owner": "ignored",
              "createdAt": "2025-01-01T00:00:00Z"
            }
            """
        let parsed = try items(text, name: "resident.json")
        XCTAssertEqual(parsed.count, 1)
        let item = parsed[0]
        XCTAssertEqual(item.object.kind, "Resident")
        XCTAssertEqual(item.object.id, "r-0001")
        XCTAssertEqual(item.object.parent, "h-0001")
        XCTAssertEqual(item.object.labels, ["grid": "110105001001001", "tag": "elderly"])
        XCTAssertEqual(item.object.owner, "")
        XCTAssertEqual(item.object.createdAtMs, 0)
        XCTAssertEqual(try Gongzhi_Core_V1_Resident(serializedBytes: item.object.data), Fixtures.resident)
        XCTAssertEqual(item.expectedRevision, 0)
        XCTAssertEqual(item.place, "resident.json:1")
    }

    func testJSONListsAndLinesNameEachDocumentsLine() throws {
        let list = """
            [
              {"kind": "Resident", "id": "r1"},
              {"kind": "Resident", "id": "r2", "revision": 7},
              {"kind": "Household", "id": "h1", "data": {"buildingId": "b1", "room": "302"}}
            ]
            """
        XCTAssertEqual(try items(list, name: "list.json").map(\.place), ["list.json:2", "list.json:3", "list.json:4"])
        XCTAssertEqual(try items(list, name: "list.json").map(\.expectedRevision), [0, 7, 0])

        let lines = """
            {"kind": "Resident", "id": "r1", "data": {"name": "甲"}}
            {"kind": "Resident", "id": "r2", "data": {"name": "乙"}}

            {"kind": "Resident", "id": "r3", "data": {"name": "丙"}}
            """
        let parsed = try items(lines, name: "residents.jsonl")
        XCTAssertEqual(parsed.map(\.place), ["residents.jsonl:1", "residents.jsonl:2", "residents.jsonl:4"])
        XCTAssertEqual(
            try parsed.map { try Gongzhi_Core_V1_Resident(serializedBytes: $0.object.data).name },
            ["甲", "乙", "丙"]
        )
        // Standard input and files without a known extension: JSON when they start with { or [.
        XCTAssertEqual(try items(lines, name: "stdin").count, 3)
        XCTAssertEqual(DocumentReader.format(name: "stdin", bytes: Array(" \n[".utf8)), .json)
        XCTAssertEqual(DocumentReader.format(name: "stdin", bytes: Array("kind: Grid".utf8)), .yaml)
        XCTAssertEqual(DocumentReader.format(name: "a.YML", bytes: Array("{}".utf8)), .yaml)
        XCTAssertEqual(DocumentReader.format(name: "a.ndjson", bytes: []), .json)
    }

    func testYAMLDocumentsAndListsTypePlainScalarsByTheirFields() throws {
        let text = """
            kind: Region
            id: "110105"
            data:
              code: "110105"
              name: 朝阳区
              level: LEVEL_DISTRICT
            ---
            - kind: Grid
              id: 110105001001001
              parent: 110105001001
              labels:
                floor: 3
                active: true
              data:
                code: 110105001001001
                name: 第一网格
                communityCode: 110105001001
                workers:
                  - name: 李强
                    phone: 13900000001
                    fullTime: yes
            - kind: Building
              id: b-1
              data: {name: 1号楼, floors: 18, location: {longitude: 116.39, latitude: 39.9}}
            """
        let parsed = try items(text, name: "district.yaml")
        XCTAssertEqual(
            parsed.map(\.place),
            [
                "district.yaml, document 1 (line 1)", "district.yaml, document 2, item 1 (line 8)",
                "district.yaml, document 2, item 2 (line 22)",
            ]
        )
        let region = try Gongzhi_Core_V1_Region(serializedBytes: parsed[0].object.data)
        XCTAssertEqual(region.name, "朝阳区")
        XCTAssertEqual(region.level, .district)
        XCTAssertEqual(parsed[1].object.id, "110105001001001")
        XCTAssertEqual(parsed[1].object.parent, "110105001001")
        XCTAssertEqual(parsed[1].object.labels, ["floor": "3", "active": "true"])
        XCTAssertEqual(try Gongzhi_Core_V1_Grid(serializedBytes: parsed[1].object.data), Fixtures.gridCell)
        let building = try Gongzhi_Core_V1_Building(serializedBytes: parsed[2].object.data)
        XCTAssertEqual(building.floors, 18)
        XCTAssertEqual(building.location.longitude, 116.39)
    }

    func testProblemsNameTheFileAndLineOrDocument() {
        let cases: [(name: String, text: String, expected: String)] = [
            (
                "r.jsonl", "{\"kind\": \"Resident\", \"id\": \"r1\"}\n{\"kind\": \"Resident\"}\n",
                "r.jsonl:2: the Resident has no id; nothing was applied"
            ),
            (
                "r.json",
                "[\n  {\"kind\": \"Resident\", \"id\": \"r1\"}\n  {\"kind\": \"Resident\", \"id\": \"r2\"}\n]",
                "r.json:3:3: expected ',' or ']' after a list item"
            ),
            (
                "r.jsonl", "{\"kind\": \"Resident\", \"id\": \"r1\", \"name\": \"王\n",
                "r.jsonl:1:44: a string runs past the end of the line (a missing '\"'?)"
            ),
            (
                "r.json", "{\"kind\": \"Resident\", \"id\": \"r1\", \"lables\": {}}",
                "r.json:1: unknown key \"lables\" (did you mean labels?); nothing was applied"
            ),
            (
                "r.json", "{\"kind\": \"Resident\", \"id\": \"r1\", \"metadata\": {}}",
                "r.json:1: unknown key \"metadata\" (a document has kind, id, parent, labels, data or dataBase64, "
                    + "and revision); nothing was applied"
            ),
            (
                "r.json", "{\"kind\": \"resident\", \"id\": \"r1\"}",
                "r.json:1: there is no kind \"resident\" (kinds are case-sensitive in documents: Resident); "
                    + "nothing was applied"
            ),
            (
                "r.json", "{\"kind\": \"Residnet\", \"id\": \"r1\"}",
                "r.json:1: there is no kind \"Residnet\" (did you mean Resident?); nothing was applied"
            ),
            (
                "r.json",
                """
                {
                  "kind": "Resident",
                  "id": "r1",
                  "data": {
                    "name": "王秀英",
                    "gender": "FEMALE"
                  }
                }
                """,
                "r.json:6: data.gender: \"FEMALE\" is not a value of Gender "
                    + "(GENDER_UNSPECIFIED, GENDER_FEMALE, GENDER_MALE); nothing was applied"
            ),
            (
                "r.json", "{\"kind\": \"Resident\", \"id\": \"r1\", \"data\": {\"phon\": \"1\"}}",
                "r.json:1: data: Resident has no field \"phon\" (did you mean phone?); nothing was applied"
            ),
            (
                "r.json", "{\"kind\": \"Resident\", \"id\": \"r1\", \"data\": {\"registeredHere\": \"yes\"}}",
                "r.json:1: data.registeredHere must be true or false, not a string; nothing was applied"
            ),
            (
                "b.json", "{\"kind\": \"Building\", \"id\": \"b1\", \"data\": {\"floors\": -1}}",
                "b.json:1: data.floors must be a whole number from 0 to 4294967295, not -1; nothing was applied"
            ),
            (
                "g.yaml", "kind: Grid\nid: g1\ndata:\n  workers:\n    - name: 李强\n      phone: [1]\n",
                "g.yaml, document 1 (line 6): data.workers[0].phone must be a string, not a list; "
                    + "nothing was applied"
            ),
            (
                "d.yaml", "kind: Resident\nid: r1\n---\nid: r2\n",
                "d.yaml, document 2 (line 4): the document has no kind (such as Resident); nothing was applied"
            ),
            (
                "d.yaml", "- kind: Resident\n  id: r1\n- kind: Resident\n",
                "d.yaml, document 1, item 2 (line 3): the Resident has no id; nothing was applied"
            ),
            (
                "d.yaml", "kind: Resident\nid: r1\n---\nkind: Resident\nid: [r2\n",
                "d.yaml, document 2 (line 6, column 1): did not find expected ',' or ']' "
                    + "(while parsing a flow sequence at line 5)"
            ),
            (
                "c.json", "{\"kind\": \"Case\", \"id\": \"c1\", \"data\": {\"title\": \"路灯坏了\"}}",
                "c.json:1: gongzhictl has no schema for kind Case (gongzhi.grid.v1.Case, registered by grid): give "
                    + "its data as dataBase64, the message's bytes in base64, as gongzhictl get -o json prints "
                    + "them; nothing was applied"
            ),
            (
                "c.json", "{\"kind\": \"Case\", \"id\": \"c1\", \"data\": {}, \"dataBase64\": \"\"}",
                "c.json:1: give either data or dataBase64, not both; nothing was applied"
            ),
            (
                "c.json", "{\"kind\": \"Case\", \"id\": \"c1\", \"dataBase64\": \"not base64!\"}",
                "c.json:1: dataBase64 is not base64; nothing was applied"
            ),
            (
                "r.jsonl", "{\"kind\": \"Resident\", \"id\": \"r1\"}\n{\"kind\": \"Resident\", \"id\": \"r1\"}\n",
                "r.jsonl:2: Resident/r1 is also at r.jsonl:1; give each object once; nothing was applied"
            ),
            (
                "r.jsonl", "{\"kind\": \"Resident\"}\n{\"kind\": \"Resident\"}\n{\"id\": \"x\"}\n",
                "r.jsonl:1: the Resident has no id (and 2 more); nothing was applied"
            ),
            (
                "r.json", "{\"kind\": \"Resident\", \"id\": \"r1\", \"revision\": -3}",
                "r.json:1: revision must be a whole number, 0 or more, not a number; nothing was applied"
            ),
            ("r.json", "[]", "r.json holds no documents; nothing to apply"),
            ("e.yaml", "---\n", "e.yaml holds no documents; nothing to apply"),
        ]
        for (name, text, expected) in cases {
            XCTAssertEqual(problem(text, name: name), expected, text)
        }
    }

    func testADocumentReadWithPersonalDataWithheldIsRefused() {
        let text = """
            {"kind": "Resident", "id": "r1", "data": {"name": "王秀英"}}
            {"kind": "Resident", "id": "r2", "data": {"name": "李强"}, "redactedFields": ["phone", "id_card_number"]}
            """
        XCTAssertEqual(
            problem(text, name: "export.jsonl"),
            "export.jsonl:2: Resident/r2 was read with personal data withheld (redactedFields: phone, "
                + "id_card_number), and applying it would erase that data; apply a copy read with access to "
                + "personal data, or fill in those fields and remove redactedFields; nothing was applied"
        )
        XCTAssertNil(problem("{\"kind\": \"Resident\", \"id\": \"r1\", \"redactedFields\": []}", name: "a.json"))
    }

    func testAKindWithoutASchemaTakesBase64() throws {
        let parsed = try items("kind: Case\nid: c-1\ndataBase64: CgNjLTE=\n", name: "case.yaml")
        XCTAssertEqual(parsed[0].object.data, Data([0x0A, 0x03, 0x63, 0x2D, 0x31]))
    }

    /// What get -o json|yaml prints, apply reads back as the same object.
    func testPrintedDocumentsReadBackAsTheSameObjects() throws {
        let objects = [Fixtures.residentObject, Fixtures.gridObject, Fixtures.caseObject]
        let documents = JSONValue.array(objects.map { ObjectDocument.json($0, kind: catalog.kind(named: $0.kind)) })
        for (name, text) in [
            ("all.json", JSONText.pretty(documents)), ("all.yaml", YAMLText.document(documents)),
            (
                "all.jsonl",
                objects.map { JSONText.compact(ObjectDocument.json($0, kind: catalog.kind(named: $0.kind))) }
                    .joined(separator: "\n")
            ),
        ] {
            let parsed = try items(text, name: name)
            XCTAssertEqual(parsed.count, objects.count, name)
            for (item, object) in zip(parsed, objects) {
                XCTAssertEqual(item.object.kind, object.kind, name)
                XCTAssertEqual(item.object.id, object.id, name)
                XCTAssertEqual(item.object.parent, object.parent, name)
                XCTAssertEqual(item.object.labels, object.labels, name)
                XCTAssertTrue(item.kind.sameData(item.object.data, object.data), "\(name): \(object.id)")
                XCTAssertEqual(item.expectedRevision, object.revision, name)
            }
        }
    }
}
