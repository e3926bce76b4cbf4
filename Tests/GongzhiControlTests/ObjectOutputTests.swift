import Foundation
import GongzhiControlTestSupport
import GongzhiDocuments
import GongzhiSchemas
import XCTest

@testable import GongzhiControl

/// What the object commands print, exactly: tables, the detail view, JSON and YAML documents, events.
final class ObjectOutputTests: XCTestCase {
    private let catalog = KindCatalog(Fixtures.kinds)
    private var resident: ObjectKind { catalog.kind(named: "Resident")! }
    private var grid: ObjectKind { catalog.kind(named: "Grid")! }
    private var caseKind: ObjectKind { catalog.kind(named: "Case")! }

    func testTables() {
        XCTAssertEqual(
            ObjectOutput.table([Fixtures.residentObject], kind: resident, time: Fixtures.time),
            """
            ID      NAME    PARENT  REVISION  AGE    UPDATED
            r-0001  王秀英  h-0001  42        3d 4h  5m ago

            """
        )
        XCTAssertEqual(
            ObjectOutput.table([Fixtures.gridObject], kind: grid, time: Fixtures.time),
            """
            ID               NAME      PARENT        REVISION  AGE      UPDATED
            110105001001001  第一网格  110105001001  7         23h 59m  23h 59m ago

            """
        )
        // A kind without a schema here has no NAME column.
        XCTAssertEqual(
            ObjectOutput.table([Fixtures.caseObject], kind: caseKind, time: Fixtures.time),
            """
            ID   PARENT  REVISION  AGE  UPDATED
            c-1  -       13        2m   2m ago

            """
        )
        XCTAssertEqual(ObjectOutput.table([], kind: resident, time: Fixtures.time), "no residents\n")
    }

    func testKindTableAndDocument() {
        let kinds = [Fixtures.caseKind, LocalSchemas.coreKinds.first { $0.name == "Resident" }!]
        XCTAssertEqual(
            ObjectOutput.kindTable(kinds),
            """
            NAME      OWNER  MESSAGE                   SENSITIVE FIELDS
            Case      grid   gongzhi.grid.v1.Case      reporter_phone
            Resident  host   gongzhi.core.v1.Resident  id_card_number, notes, phone

            """
        )
        XCTAssertEqual(
            JSONText.compact(ObjectOutput.kindsDocument(kinds)),
            #"[{"name":"Case","messageName":"gongzhi.grid.v1.Case","owner":"grid","sensitiveFields":["reporter_phone"],"#
                + #""revision":"12"},{"name":"Resident","messageName":"gongzhi.core.v1.Resident","owner":"host","#
                + #""sensitiveFields":["id_card_number","notes","phone"],"revision":"0"}]"#
        )
    }

    func testJSONDocument() {
        XCTAssertEqual(
            JSONText.pretty(ObjectDocument.json(Fixtures.residentObject, kind: resident)),
            """
            {
              "kind": "Resident",
              "id": "r-0001",
              "parent": "h-0001",
              "labels": {
                "grid": "110105001001001",
                "tag": "elderly"
              },
              "revision": "42",
              "owner": "host",
              "createdAt": "2025-11-18T11:00:00Z",
              "updatedAt": "2025-11-21T14:55:00Z",
              "data": {
                "id": "r-0001",
                "name": "王秀英",
                "phone": "13800000000",
                "gender": "GENDER_FEMALE",
                "birthDate": "1941-03-08",
                "householdId": "h-0001",
                "tags": [
                  "TAG_LIVING_ALONE",
                  "TAG_ELDERLY"
                ],
                "registeredHere": true
              }
            }
            """
        )
        XCTAssertEqual(
            JSONText.compact(ObjectDocument.json(Fixtures.redactedResidentObject, kind: resident)),
            #"{"kind":"Resident","id":"r-0001","parent":"h-0001","labels":{"grid":"110105001001001","tag":"elderly"},"#
                + #""revision":"42","owner":"host","createdAt":"2025-11-18T11:00:00Z","updatedAt":"2025-11-21T14:55:00Z","#
                + #""redactedFields":["phone"],"data":{"id":"r-0001","name":"王秀英","gender":"GENDER_FEMALE","#
                + #""birthDate":"1941-03-08","householdId":"h-0001","tags":["TAG_LIVING_ALONE","TAG_ELDERLY"],"#
                + #""registeredHere":true}}"#
        )
        XCTAssertEqual(
            JSONText.pretty(.array([ObjectDocument.json(Fixtures.caseObject, kind: caseKind)])),
            """
            [
              {
                "kind": "Case",
                "id": "c-1",
                "revision": "13",
                "owner": "grid",
                "createdAt": "2025-11-21T14:58:00Z",
                "updatedAt": "2025-11-21T14:58:00Z",
                "dataBase64": "CgNjLTE="
              }
            ]
            """
        )
        XCTAssertEqual(JSONText.pretty(.array([])), "[]")
    }

    func testYAMLDocuments() {
        XCTAssertEqual(
            YAMLText.document(ObjectDocument.json(Fixtures.residentObject, kind: resident)),
            """
            kind: Resident
            id: r-0001
            parent: h-0001
            labels:
              grid: "110105001001001"
              tag: elderly
            revision: "42"
            owner: host
            createdAt: "2025-11-18T11:00:00Z"
            updatedAt: "2025-11-21T14:55:00Z"
            data:
              id: r-0001
              name: 王秀英
              phone: "13800000000"
              gender: GENDER_FEMALE
              birthDate: "1941-03-08"
              householdId: h-0001
              tags:
                - TAG_LIVING_ALONE
                - TAG_ELDERLY
              registeredHere: true

            """
        )
        XCTAssertEqual(
            YAMLText.document(
                .array(
                    [Fixtures.gridObject, Fixtures.caseObject].map {
                        ObjectDocument.json($0, kind: catalog.kind(named: $0.kind))
                    }
                )
            ),
            """
            - kind: Grid
              id: "110105001001001"
              parent: "110105001001"
              revision: "7"
              owner: host
              createdAt: "2025-11-20T15:00:00.250Z"
              updatedAt: "2025-11-20T15:00:00.250Z"
              data:
                code: "110105001001001"
                name: 第一网格
                communityCode: "110105001001"
                workers:
                  - name: 李强
                    phone: "13900000001"
                    fullTime: true
            - kind: Case
              id: c-1
              revision: "13"
              owner: grid
              createdAt: "2025-11-21T14:58:00Z"
              updatedAt: "2025-11-21T14:58:00Z"
              dataBase64: CgNjLTE=

            """
        )
        XCTAssertEqual(YAMLText.document(.array([])), "[]\n")
    }

    func testYAMLQuotesOnlyWhatAReaderWouldTakeForSomethingElse() {
        let plain = ["r-0001", "王秀英", "GENDER_FEMALE", "a b", "x:y", "a#b", "北京市, 朝阳区", "e1"]
        for text in plain { XCTAssertEqual(YAMLText.scalar(text), text) }
        let quoted: [(String, String)] = [
            ("", #""""#), ("123", #""123""#), ("-1", #""-1""#), (".5", #"".5""#), ("true", #""true""#),
            ("no", #""no""#), ("Null", #""Null""#), ("~", #""~""#), ("y", #""y""#), (".inf", #"".inf""#),
            ("2025-11-21", #""2025-11-21""#), ("- item", #""- item""#), ("key: value", #""key: value""#),
            ("a #b", #""a #b""#), ("ends:", #""ends:""#), (" lead", #"" lead""#), ("trail ", #""trail ""#),
            ("#tag", ##""#tag""##), ("*ref", #""*ref""#), ("'q'", #""'q'""#), ("\"q\"", #""\"q\"""#),
            ("two\nlines", #""two\nlines""#), ("tab\there", #""tab\there""#), ("<<", #""<<""#),
            ("\u{85}", #""\u0085""#), ("@at", #""@at""#), ("{x}", #""{x}""#),
        ]
        for (text, expected) in quoted { XCTAssertEqual(YAMLText.scalar(text), expected, text) }
        // Every one reads back as the same string.
        for text in plain + quoted.map(\.0) {
            let yaml = YAMLText.document(.object([("k", .string(text))]))
            let read = try? YAMLText.documents(in: yaml).first?.value
            guard case .object(let members) = read?.content else { return XCTFail(yaml) }
            XCTAssertEqual(members.first?.value.text, text, yaml)
        }
    }

    func testDetail() {
        XCTAssertEqual(
            ObjectOutput.detail(Fixtures.redactedResidentObject, kind: resident, time: Fixtures.time),
            """
            kind:      Resident
            id:        r-0001
            parent:    h-0001
            revision:  42
            owner:     host
            created:   2025-11-18T19:00:00+08:00 (3d 4h ago)
            updated:   2025-11-21T22:55:00+08:00 (5m ago)
            labels:    grid=110105001001001
                       tag=elderly
            redacted:  phone (withheld by the host: reading them needs a grant for personal data)
            data:
              id: r-0001
              name: 王秀英
              gender: GENDER_FEMALE
              birthDate: "1941-03-08"
              householdId: h-0001
              tags:
                - TAG_LIVING_ALONE
                - TAG_ELDERLY
              registeredHere: true

            """
        )
        XCTAssertEqual(
            ObjectOutput.detail(Fixtures.caseObject, kind: caseKind, time: Fixtures.time),
            """
            kind:      Case
            id:        c-1
            parent:    -
            revision:  13
            owner:     grid
            created:   2025-11-21T22:58:00+08:00 (2m ago)
            updated:   2025-11-21T22:58:00+08:00 (2m ago)
            labels:    none
            data:      5 bytes, in base64 below (gongzhictl has no schema for gongzhi.grid.v1.Case)
              CgNjLTE=

            """
        )
    }

    func testEventsDeletesAndSummaries() {
        let event = Gongzhi_Host_V1_WatchEvent.with {
            $0.type = .modified
            $0.revision = 43
            $0.object = Fixtures.caseObject
        }
        XCTAssertEqual(ObjectOutput.watchLine(event), "MODIFIED Case/c-1 revision 43\n")
        XCTAssertEqual(
            JSONText.compact(ObjectOutput.watchDocument(event, kind: caseKind)),
            #"{"type":"MODIFIED","revision":"43","object":{"kind":"Case","id":"c-1","revision":"13","owner":"grid","#
                + #""createdAt":"2025-11-21T14:58:00Z","updatedAt":"2025-11-21T14:58:00Z","dataBase64":"CgNjLTE="}}"#
        )
        // With the commit time the host stamps: in microseconds when it has some, else in milliseconds.
        var committed = event
        committed.committedAtUs = 1_763_737_080_250_125
        XCTAssertEqual(
            ObjectOutput.watchLine(committed),
            "MODIFIED Case/c-1 revision 43 at 2025-11-21T14:58:00.250125Z\n"
        )
        XCTAssertEqual(ObjectDocument.rfc3339(microseconds: -1), "1969-12-31T23:59:59.999999Z")
        XCTAssertEqual(ObjectDocument.rfc3339(microseconds: -1_000), "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(ObjectDocument.rfc3339(-86_400_001), "1969-12-30T23:59:59.999Z")
        XCTAssertEqual(ObjectDocument.rfc3339(microseconds: .max), "294247-01-10T04:00:54.775807Z")
        XCTAssertEqual(ObjectDocument.rfc3339(microseconds: .min), "-290308-12-21T19:59:05.224192Z")
        XCTAssertEqual(ObjectDocument.rfc3339(.min), "-292275055-05-16T16:47:04.192Z")
        committed.committedAtUs = 1_763_737_080_250_000
        XCTAssertEqual(
            JSONText.compact(ObjectOutput.watchDocument(committed, kind: caseKind)),
            #"{"type":"MODIFIED","revision":"43","committedAt":"2025-11-21T14:58:00.250Z","object":{"kind":"Case","#
                + #""id":"c-1","revision":"13","owner":"grid","createdAt":"2025-11-21T14:58:00Z","#
                + #""updatedAt":"2025-11-21T14:58:00Z","dataBase64":"CgNjLTE="}}"#
        )
        XCTAssertEqual(
            ObjectOutput.deleted(kind: "Resident", id: "r-0001", revision: 57),
            "deleted Resident/r-0001 (revision 57)\n"
        )
        XCTAssertEqual(
            JSONText.compact(ObjectOutput.deletedDocument(kind: "Resident", id: "r-0001", revision: 57)),
            #"{"kind":"Resident","id":"r-0001","revision":"57"}"#
        )
        XCTAssertEqual(
            ObjectOutput.applySummary(ApplyCounts(created: 29_000, updated: 12, unchanged: 988), seconds: 12.34),
            "created 29,000, updated 12, unchanged 988 (30,000 objects in 12.3 s)\n"
        )
        XCTAssertEqual(
            JSONText.compact(ObjectOutput.applySummaryDocument(ApplyCounts(created: 1), seconds: 0.04)),
            #"{"created":1,"updated":0,"unchanged":0,"objects":1,"seconds":0.0}"#
        )
        XCTAssertEqual(ObjectOutput.progress(done: 12_000, total: 30_000), "applying: 12,000/30,000 (40%)")
        XCTAssertEqual(TextLayout.grouped(999), "999")
        XCTAssertEqual(TextLayout.grouped(1_234_567), "1,234,567")
    }

    func testRFC3339() {
        XCTAssertEqual(ObjectDocument.rfc3339(0), "1970-01-01T00:00:00Z")
        XCTAssertEqual(ObjectDocument.rfc3339(Fixtures.nowMs), "2025-11-21T15:00:00Z")
        XCTAssertEqual(ObjectDocument.rfc3339(Fixtures.nowMs + 7), "2025-11-21T15:00:00.007Z")
        XCTAssertEqual(ObjectDocument.rfc3339(-1), "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(ObjectDocument.rfc3339(951_782_400_000), "2000-02-29T00:00:00Z")
    }
}

/// Which kind a name on the command line means.
final class KindResolutionTests: XCTestCase {
    func testNamesInAnyCaseSingularOrPlural() throws {
        let policy = Gongzhi_Host_V1_Kind.with {
            $0.name = "Policy"
            $0.messageName = "gongzhi.example.v1.Policy"
            $0.owner = "example"
        }
        let address = Gongzhi_Host_V1_Kind.with {
            $0.name = "Address"
            $0.messageName = "gongzhi.example.v1.Address"
            $0.owner = "example"
        }
        let catalog = KindCatalog(Fixtures.kinds + [policy, address])
        let cases: [(String, String)] = [
            ("resident", "Resident"), ("Residents", "Resident"), ("RESIDENTS", "Resident"), ("grid", "Grid"),
            ("grids", "Grid"), ("Household", "Household"), ("households", "Household"), ("case", "Case"),
            ("cases", "Case"), ("policies", "Policy"), ("Policy", "Policy"), ("addresses", "Address"),
            ("gongzhi.core.v1.Resident", "Resident"),
        ]
        for (typed, expected) in cases {
            XCTAssertEqual(try catalog.resolve(typed).name, expected, typed)
        }
        XCTAssertEqual(catalog.kind(named: "Resident")?.plural, "residents")
        XCTAssertNil(catalog.kind(named: "resident"), "documents name kinds exactly")
    }

    func testAnUnknownKindIsNotFoundAndNamesTheKinds() {
        let catalog = KindCatalog(Fixtures.kinds)
        let kinds =
            "Building, Case, Department, Grid, Household, Organization, Partner, Person, Region, Resident, Role, "
            + "RoleBinding"
        for (typed, hint) in [
            ("residnet", " (did you mean Resident?)"), ("gird", " (did you mean Grid?)"), ("ticket", ""),
        ] {
            XCTAssertThrowsError(try catalog.resolve(typed)) { error in
                XCTAssertEqual(
                    error as? ControlError,
                    ControlError(
                        "there is no kind \"\(typed)\"\(hint); the kinds are \(kinds) (gongzhictl get kinds)",
                        exitCode: ControlExitCode.notFound
                    )
                )
            }
        }
    }

    func testEditDistance() {
        XCTAssertEqual(Suggestion.editDistance(Array("kitten"), Array("sitting")), 3)
        XCTAssertEqual(Suggestion.editDistance(Array(""), Array("abc")), 3)
        XCTAssertEqual(Suggestion.nearest(to: "lables", among: InputDocument.keys), "labels")
        XCTAssertNil(Suggestion.nearest(to: "metadata", among: InputDocument.keys))
    }
}
