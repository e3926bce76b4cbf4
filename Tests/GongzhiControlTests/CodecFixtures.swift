import Foundation
import GongzhiGridSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSchemas
import SwiftProtobuf
import XCTest

@testable import GongzhiControl

/// Descriptor pools read from the generated descriptor sets, and messages of every shape built with
/// swift-protobuf's generated types, for the codec's tests.
enum CodecFixtures {
    static func pool(_ base64: String) -> DescriptorPool {
        guard let set = RPCFileDescriptorSet(base64: base64),
            let pool = try? DescriptorPool(fileDescriptorSet: set.bytes)
        else { preconditionFailure("the generated descriptors do not read") }
        return pool
    }

    static let shapes = pool(Gongzhi_Test_V1_ShapesDescriptors.fileDescriptorSetBase64)
    static let core = pool(Gongzhi_Core_V1_Descriptors.fileDescriptorSetBase64)
    static let grid = pool(Gongzhi_Grid_V1_GridService.fileDescriptorSetBase64)
    static let objects = pool(Gongzhi_Host_V1_Objects.fileDescriptorSetBase64)

    /// swift-protobuf needs to know the message an Any holds to read and write it as JSON.
    static let anyTypesRegistered: Bool = Google_Protobuf_Any.register(messageType: Gongzhi_Test_V1_Shapes.Inner.self)

    static func inner(
        _ name: String,
        _ count: Int32,
        child: Gongzhi_Test_V1_Shapes.Inner? = nil
    )
        -> Gongzhi_Test_V1_Shapes.Inner
    {
        var inner = Gongzhi_Test_V1_Shapes.Inner()
        inner.name = name
        inner.count = count
        if let child { inner.child = child }
        return inner
    }

    /// Every field set, with the edges of each type.
    static func everyShape() throws -> Gongzhi_Test_V1_Shapes {
        var shapes = Gongzhi_Test_V1_Shapes()
        shapes.fDouble = -1234.5678e-9
        shapes.fFloat = 3.25
        shapes.fInt32 = Int32.min
        shapes.fInt64 = Int64.min
        shapes.fUint32 = UInt32.max
        shapes.fUint64 = UInt64.max
        shapes.fSint32 = -2
        shapes.fSint64 = Int64.max
        shapes.fFixed32 = 4_000_000_000
        shapes.fFixed64 = 18_000_000_000_000_000_000
        shapes.fSfixed32 = -7
        shapes.fSfixed64 = -9_000_000_000_000_000_000
        shapes.fBool = true
        shapes.fString = "社区公告：\"停水\"\n明天 ✓"
        shapes.fBytes = Data([0, 1, 2, 0xFE, 0xFF, 0x80])
        shapes.color = .green
        shapes.inner = inner("outer", 3, child: inner("child", -1))
        shapes.packedInt32 = [0, -1, 1, Int32.max, Int32.min]
        shapes.packedDouble = [0, -0.5, 1e300, 2.5e-300]
        shapes.packedSint64 = [-1, 0, Int64.min, Int64.max]
        shapes.colors = [.red, .unspecified, .green]
        shapes.unpackedInt32 = [5, -5, 0]
        shapes.unpackedFixed32 = [1, UInt32.max]
        shapes.strings = ["a", "", "c"]
        shapes.blobs = [Data(), Data([1])]
        shapes.inners = [inner("one", 1), Gongzhi_Test_V1_Shapes.Inner(), inner("three", 3)]
        shapes.flags = [true, false, true]
        shapes.labels = ["zone": "东区", "": "empty key", "b": ""]
        shapes.byNumber = [-3: inner("minus three", 0), 0: Gongzhi_Test_V1_Shapes.Inner(), 7: inner("seven", 7)]
        shapes.byLong = [Int64.min: "min", 0: "zero", Int64.max: "max"]
        shapes.byFlag = [true: .red, false: .unspecified]
        shapes.blobsByID = [1: Data([9, 9]), UInt32.max: Data()]
        shapes.bySigned = [-1: 0.5, 1: -0.25]
        shapes.byFixed = [UInt64.max: -1, 0: 0]
        shapes.choiceInner = inner("chosen", 42)
        shapes.maybeInt32 = 0
        shapes.maybeText = ""
        shapes.maybeColor = .unspecified
        shapes.secret = "110101199003071234"
        shapes.renamed = 48
        shapes.at = Google_Protobuf_Timestamp(seconds: 1_763_800_000, nanos: 250_000_000)
        shapes.took = Google_Protobuf_Duration(seconds: -3, nanos: -500_000_000)
        shapes.nothing = Google_Protobuf_Empty()
        shapes.anything = try Google_Protobuf_Any(message: inner("packed", 9))
        shapes.mask.paths = ["f_string", "inner.name"]
        shapes.details = try Google_Protobuf_Struct(jsonString: #"{"a": 1, "b": [true, null, "x"], "c": {"d": -2.5}}"#)
        shapes.value = try Google_Protobuf_Value(jsonString: #"[1, "two", {"three": 3}]"#)
        shapes.list = try Google_Protobuf_ListValue(jsonString: #"[null, false, 0]"#)
        shapes.wrappedInt64 = Google_Protobuf_Int64Value(-5)
        shapes.wrappedString = Google_Protobuf_StringValue("")
        shapes.wrappedBool = Google_Protobuf_BoolValue(false)
        shapes.wrappedDouble = Google_Protobuf_DoubleValue(0.125)
        shapes.wrappedBytes = Google_Protobuf_BytesValue(Data([7]))
        shapes.wrappedUint32 = Google_Protobuf_UInt32Value(UInt32.max)
        shapes.times = [
            Google_Protobuf_Timestamp(seconds: 0, nanos: 0),
            Google_Protobuf_Timestamp(seconds: -62_135_596_800, nanos: 1),
        ]
        shapes.values = ["n": Google_Protobuf_Value(nilLiteral: ()), "s": Google_Protobuf_Value(stringValue: "v")]
        return shapes
    }

    /// A resident with every field set, personal data included.
    static let resident = Gongzhi_Core_V1_Resident.with {
        $0.id = "R-0000001"
        $0.name = "王秀英"
        $0.idCardNumber = "330102195003071234"
        $0.phone = "13800000000"
        $0.gender = .female
        $0.birthDate = "1950-03-07"
        $0.householdID = "H-0001"
        $0.tags = [.elderly, .livingAlone, .partyMember]
        $0.registeredHere = true
        $0.notes = "独居，需每周探访"
    }

    /// A case part-way through its loop, with a duplicate report and a history.
    static let gridCase = Gongzhi_Grid_V1_Case.with {
        $0.id = "C20251122-0001"
        $0.state = .dispatched
        $0.source = .hotline
        $0.categoryCode = "E0502"
        $0.categoryName = "占道经营"
        $0.categoryType = .event
        $0.description_p = "商户占道经营，堵住人行道"
        $0.media = ["photo-1.jpg", "photo-2.jpg"]
        $0.location = .with {
            $0.longitude = 120.1455
            $0.latitude = 30.276
        }
        $0.gridCode = "330199001001001"
        $0.communityCode = "330199001001"
        $0.streetCode = "330199001"
        $0.tier = .grid
        $0.reporter = .with {
            $0.name = "赵女士"
            $0.phone = "13900001111"
            $0.principal = "admin:uid=0"
            $0.reportedAtMs = 1_763_800_000_000
            $0.source = .hotline
            $0.idempotencyKey = "hotline-0001"
        }
        $0.alsoReportedBy = [.with { $0.name = "钱先生" }]
        $0.assignee = .with {
            $0.kind = .gridWorker
            $0.id = "胡伟"
            $0.name = "胡伟"
        }
        $0.deadlineMs = 1_763_886_400_000
        $0.history = [
            .with {
                $0.action = .report
                $0.to = .reported
                $0.atMs = 1_763_800_000_000
            },
            .with {
                $0.action = .dispatch
                $0.from = .registered
                $0.to = .dispatched
                $0.actor = "调度员李"
                $0.atMs = 1_763_800_060_000
                $0.note = "24h"
            },
        ]
        $0.escalations = [
            .with {
                $0.from = .grid
                $0.to = .community
                $0.deadlineMs = -1
            }
        ]
        $0.createdAtMs = 1_763_800_000_000
        $0.reopened = 2
        $0.handledLate = true
        $0.closedTier = .street
    }

    /// A transaction with each of the oneof's members and an object with labels and data.
    static let transaction = Gongzhi_Host_V1_TxnRequest.with {
        $0.compares = [
            .with {
                $0.kind = "Resident"
                $0.id = "R-1"
                $0.condition = .revisionEquals
                $0.revision = 41
            }
        ]
        $0.writes = [
            .with {
                $0.create = .with {
                    $0.kind = "Resident"
                    $0.id = "R-2"
                    $0.labels = ["compound": "c1", "volunteer": "true"]
                    $0.data = (try? resident.serializedBytes()) ?? Data()
                }
            },
            .with {
                $0.update = .with {
                    $0.object.id = "R-1"
                    $0.expectedRevision = 41
                }
            },
            .with {
                $0.delete = .with {
                    $0.kind = "Grid"
                    $0.id = "G-9"
                }
            },
        ]
    }
}
